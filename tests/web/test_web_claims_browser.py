"""The claims pages in headless Chromium (Debian's /usr/bin/chromium via Playwright, the harness of
test_web_browser.py): a reviewer finds an unanswered claim, opens it and attaches a URL debunk, which is
then listed as recorded by the reviewer's organisation. Screenshots go to tests/artifacts/."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from test_web_browser import page, shot, sign_in  # noqa: F401 - its page fixture and helpers
from webfixtures import NOW, LiveServer

from pantau.domain.records import CollectedItem
from storage import claims as store
from storage import repository as repo
from storage.models import CounterNarrative, Source

DEBUNK_URL = "https://kabar.example/cek-fakta/surat-suara-robatal"


def _unanswered_claim(server: LiveServer) -> int:
    """A claim of two posts of its own (the session's other browser tests share this database)."""
    with Session(server.engine) as session, session.begin():
        source = session.scalars(select(Source.id).where(Source.name == "grup-wa")).one()
        texts = [
            "Surat suara Robatal sudah dicoblos duluan oleh panitia, sebarkan!",
            "Katanya surat suara di Robatal sudah dicoblos panitia sebelum hari H.",
        ]
        ids = repo.upsert_items(
            session,
            source,
            None,
            [
                CollectedItem(
                    source="grup-wa",
                    text=t,
                    url=f"https://wa.example/robatal/{n}",
                    published_at=NOW - timedelta(hours=3 - n),
                )
                for n, t in enumerate(texts)
            ],
        ).ids
        for item_id in ids:
            repo.set_item_tags(
                session, item_id, lang="ind", stage="voting_day", districts=["Robatal"], actors=[]
            )
        claim_id = store.create_claim(session, texts[0])
        store.assign_items(session, claim_id, ids)
        store.refresh_claim_spread(session, [claim_id])
    return claim_id


def test_reviewer_answers_an_unanswered_claim(page, live_server):  # noqa: F811 - fixtures imported above
    claim_id = _unanswered_claim(live_server)
    sign_in(page, "peninjau_a")
    page.get_by_role("link", name="Klaim", exact=True).click()
    page.get_by_role("heading", name="Klaim").wait_for()
    page.get_by_label("Jawaban").select_option(label="Belum dijawab")
    page.get_by_role("button", name="Terapkan").click()
    page.wait_for_url("**/claims?*answered=unanswered*")
    row = page.locator("table.claims tbody tr", has_text="Surat suara Robatal")
    assert row.count() == 1 and "Belum dijawab" in row.inner_text()
    shot(page, "12-claims-unanswered")

    row.get_by_role("link", name=f"#{claim_id}").click()
    page.get_by_role("heading", name=f"Klaim #{claim_id}").wait_for()
    assert page.locator("figure.claim-chart svg rect").count() >= 1
    assert page.locator("table.members tbody tr").count() == 2
    page.get_by_label("Tautan bantahan").fill(DEBUNK_URL)
    page.get_by_role("button", name="Lampirkan").click()
    page.get_by_text("Kontra-narasi dicatat.").wait_for()
    listed = page.locator("table.links tbody tr", has_text=DEBUNK_URL)
    assert "dicatat oleh Redaksi Kabar Sampang" in listed.inner_text()
    shot(page, "13-claim-answered")

    with Session(live_server.engine) as session:
        link = session.scalars(select(CounterNarrative).where(CounterNarrative.url == DEBUNK_URL)).one()
        assert (link.claim_id, link.attribution) == (claim_id, "reviewer")
        assert link.actor == "Redaksi Kabar Sampang"
    page.goto("/claims?answered=unanswered")
    assert page.locator("table.claims tbody tr", has_text="Surat suara Robatal").count() == 0
