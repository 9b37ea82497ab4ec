"""One message catalogue for the web app, the report and Telegram (issue 15, deliverable 7): every stored code
has its Indonesian label there, the three outputs read it, the bundled config's stage names agree with it,
and no module writes a label of its own.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.pofile import read_po

from flows.notify import digest
from pantau import messages
from pantau.cli.report import build_report, render_html
from pantau.domain.config import StageConfig
from pantau.domain.outcomes import ACTOR_CATEGORIES, ATTRIBUTION_BASES, AnswerRecord, ClaimRecord
from pantau.domain.signals import SIGNALS
from pantau.settings import DEFAULT_CONFIG_NAME, bundled_examples_dir, load_settings
from pantau.web import i18n
from storage.models import ALERT_KINDS, ALERT_STATUSES, ATTRIBUTIONS, ROLES
from storage.notifications import PendingNotification
from storage.review_queue import VERDICTS

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2024, 9, 1, 3, tzinfo=UTC)


def _config():
    return load_settings(bundled_examples_dir() / DEFAULT_CONFIG_NAME).region_config


def test_the_catalogue_parses_and_has_a_label_for_every_stored_code():
    with messages.CATALOGUE.open("rb") as fh:
        catalog = read_po(fh, locale="id")
    keys = [(m.context, m.id) for m in catalog if m.id]
    assert len(keys) == len(set(keys)) and all(m.string for m in catalog if m.id)
    assert not [m.id for m in catalog if m.id and m.fuzzy]
    wanted = {
        "signal": [*SIGNALS, *ALERT_KINDS],
        "alert_status": ALERT_STATUSES,
        "verdict": VERDICTS,
        "role": ROLES,
        "actor_category": ACTOR_CATEGORIES,
        "attribution": ATTRIBUTION_BASES,
        "stage": [s.name for s in _config().stages],
    }
    missing = {ctx: [c for c in codes if c not in messages.table(ctx)] for ctx, codes in wanted.items()}
    assert not any(missing.values()), missing
    assert set(ATTRIBUTIONS) == set(ATTRIBUTION_BASES)


def test_the_bundled_configs_stage_names_are_the_catalogues():
    """The drift of issue 15: one stage, two names ('Penetapan paslon' vs the config's longer one)."""
    for stage in _config().stages:
        assert stage.label == messages.label("stage", stage.name), stage.name
    assert messages.stage_label("candidate_determination") == "Verifikasi dan penetapan paslon"
    assert messages.stage_label("campaign", {"campaign": "Masa kampanye"}) == "Masa kampanye"  # config wins


def test_web_and_telegram_read_the_same_catalogue():
    assert i18n.SIGNALS == messages.table("signal") and i18n.STAGES == messages.table("stage")
    assert i18n.ACTOR_CATEGORIES == messages.table("actor_category")
    for code in SIGNALS:
        assert digest.SIGNAL_LABELS[code] == i18n.SIGNALS[code]
    for code in ALERT_KINDS:
        assert digest.KIND_LABELS[code] == i18n.SIGNALS[code]
    assert digest.SEVERITY_LABELS["critical"] == i18n.SEVERITIES["critical"].upper()
    entry = digest.telegram_entry(
        PendingNotification(
            delivery_id=1,
            batch_id="b",
            attempts=0,
            alert_id=7,
            kind="spike",
            signal=None,
            severity="high",
            stage=None,
            district="Omben",
            reason="5 items",
            created_at=T0,
            item_id=None,
            item_title=None,
            item_url=None,
            item_snippet=None,
            source_name=None,
        )
    )
    assert messages.label("signal", "spike") in entry
    flagged = digest.telegram_entry(
        PendingNotification(
            delivery_id=2,
            batch_id="b",
            attempts=0,
            alert_id=8,
            kind="flagged_item",
            signal="vote_buying",
            severity="high",
            stage=None,
            district=None,
            reason="vote_buying 0.88 ≥ 0.60: amplop",
            created_at=T0,
            item_id=None,
            item_title=None,
            item_url=None,
            item_snippet=None,
            source_name=None,
        )
    )
    assert f"<i>{i18n.SIGNALS['vote_buying']} 0.88 ≥ 0.60: amplop</i>" in flagged  # the reason in words


def test_reasons_name_their_signal_in_words():
    assert messages.reason_label("hate_speech 0.71: kafir") == i18n.SIGNALS["hate_speech"] + " 0.71: kafir"
    assert messages.reason_label("monitoring run x failed") == "monitoring run x failed"  # not a code
    assert messages.reason_label("hoaks 0.9 (0)") == "hoaks 0.9 (0)" and messages.reason_label(None) == ""


def test_the_report_names_stages_and_categories_from_the_catalogue_without_config_labels():
    region = _config().model_copy(
        update={"stages": [StageConfig(name=s.name, start=s.start, end=s.end) for s in _config().stages]}
    )  # no labels
    claim = ClaimRecord(
        claim_id=1,
        canonical_text="Paslon 02 digugurkan KPU",
        item_times=(T0,),
        stage="candidate_determination",
    )
    answer = AnswerRecord(
        claim_id=1, item_id=9, published_at=T0, actor="KPU Sampang", category="kpu", attribution="mentioned"
    )
    page = render_html(build_report([claim], [answer], region, now=T0))
    assert '<th scope="row">Verifikasi dan penetapan paslon</th>' in page
    assert "candidate_determination" not in page
    assert "<td>KPU</td>" in page and "<td>kpu</td>" not in page
    assert 'KPU Sampang <span class="basis">(disebut dalam teks)</span>' in page


def test_no_module_spells_a_catalogue_label_itself():
    """Labels of several words (stage and signal names) live in the catalogue only."""
    labels = {
        text
        for ctx in ("stage", "signal", "actor_category")
        for text in messages.table(ctx).values()
        if " " in text
    }
    found = []
    for package in ("pantau", "flows", "storage"):
        for path in sorted((ROOT / package).rglob("*")):
            if path.suffix in (".py", ".html"):
                text = path.read_text(encoding="utf-8")
                found += [f"{path.relative_to(ROOT)}: {w}" for w in labels if re.search(re.escape(w), text)]
    assert not found, found
