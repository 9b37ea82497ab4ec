"""Shared helpers of the web app tests: the seed data (written for these tests: fictional Sampang news
and posts, one item whose title and text carry script-injection payloads), the accounts, and small HTTP
helpers. The fixtures that use them are in ``conftest.py``.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from pantau.domain.config import PantauConfig, SourceConfig
from pantau.domain.records import CollectedItem, ScoreResult
from pantau.settings import DEFAULT_CONFIG_NAME, bundled_examples_dir, load_settings
from pantau.web.auth import hash_password
from storage import accounts
from storage import repository as repo

SECRET = "test-secret-" + "x" * 40
PASSWORD = "kata-sandi-uji-123"
NOW = datetime(2024, 11, 27, 6, 0, tzinfo=UTC)
XSS_TITLE = '<script>alert("judul")</script> Kotak suara <b>dibakar</b>'
XSS_TEXT = (
    "Beredar kabar <img src=x onerror=alert(1)> kotak suara TPS 3 dibakar. "
    '<script>document.title="diretas"</script> <a href="javascript:alert(2)">klik</a>'
)

USERS = {  # username: (role, organisation)
    "admin_redaksi": ("admin", "Redaksi Kabar Sampang"),
    "peninjau_a": ("reviewer", "Redaksi Kabar Sampang"),
    "peninjau_b": ("reviewer", "Redaksi Kabar Sampang"),
    "analis_bawaslu": ("analyst", "Bawaslu Sampang"),
    "admin_bawaslu": ("admin", "Bawaslu Sampang"),
}
ORGS = {"Redaksi Kabar Sampang": "newsroom", "Bawaslu Sampang": "bawaslu", "Polres Sampang": "polres"}


@dataclass
class Seeded:
    items: dict[str, int]
    users: dict[str, int]
    orgs: dict[str, int]


def _item(n: int, source: str, title: str, text: str, published: datetime) -> CollectedItem:
    return CollectedItem(
        source=source, title=title, text=text, url=f"https://kabar.example/berita/{n}", published_at=published
    )


def seed(engine: Engine) -> Seeded:
    """Sources, items (tagged, scored, alerted) and accounts, through the repository functions."""
    specs = [  # key, source, title, text, stage, district, signal, severity, probability, why
        (
            "tps_omben",
            "kabar-demo",
            "TPS 5 Omben dipindah ke balai desa, kata pesan berantai",
            "Pesan berantai: TPS 5 Omben pindah tempat, pemilih diminta datang sore. "
            "KPU belum mengonfirmasi.",
            "voting_day",
            "Omben",
            "hoax",
            "high",
            0.93,
            ["rule hoax_framing: pesan berantai", "pindah"],
        ),
        (
            "fajar",
            "grup-wa",
            None,
            "Besok pagi ada serangan fajar di Kedungdung, amplop 100 ribu per kepala.",
            "quiet_period",
            "Kedungdung",
            "vote_buying",
            "high",
            0.88,
            ["serangan fajar", "amplop"],
        ),
        (
            "ancaman",
            "grup-wa",
            None,
            "Kalau paslon kami kalah di Torjun, kami bakar kantor desa.",
            "campaign",
            "Torjun",
            "violence_threat",
            "high",
            0.81,
            ["bakar", "kalah"],
        ),
        (
            "xss",
            "grup-wa",
            XSS_TITLE,
            XSS_TEXT,
            "campaign",
            "Sampang",
            "hoax",
            "medium",
            0.74,
            ["dibakar <script>"],
        ),
        (
            "sara",
            "grup-wa",
            None,
            "Jangan pilih calon dari kampung sebelah, mereka bukan golongan kita.",
            "campaign",
            "Robatal",
            "sara",
            "medium",
            0.66,
            ["bukan golongan kita"],
        ),
    ]
    with Session(engine) as session, session.begin():
        src = repo.sync_sources(
            session,
            [
                SourceConfig(name="kabar-demo", kind="rss", location="https://kabar.example/feed", trust=0.9),
                SourceConfig(name="grup-wa", kind="social_export", location="posts.jsonl", trust=0.2),
            ],
        )
        items: dict[str, int] = {}
        for n, (key, source, title, text, stage, district, signal, severity, p, why) in enumerate(specs):
            published = NOW - timedelta(hours=12 * (n + 1))  # 27 Nov 01:00 WIB back to 25 Nov 01:00
            item_id = repo.upsert_items(
                session, src[source], None, [_item(n, source, title, text, published)], now=published
            ).ids[0]
            items[key] = item_id
            repo.set_item_tags(
                session,
                item_id,
                lang="ind",
                stage=stage,
                districts=[district],
                actors=["Polres Sampang"] if signal == "violence_threat" else [],
            )
            repo.save_scores(
                session,
                "test-model",
                [
                    (
                        item_id,
                        ScoreResult(
                            scores={signal: p, "counter_narrative": 0.05},
                            flags=[signal],
                            lang="ind",
                            explanations={signal: why},
                            model_version="test-model",
                        ),
                    )
                ],
                now=published,
            )
            repo.raise_alert(
                session,
                kind="flagged_item",
                severity=severity,
                signal=signal,
                item_id=item_id,
                stage=stage,
                district=district,
                reason=f"{signal} {p:.2f}: {', '.join(why)}",
                dedupe_key=f"flagged_item:{item_id}:{signal}",
                now=published,
                details={"probability": p, "explanation": why},
            )
        # the Omben hoax also came through the social export: spread 2
        repo.upsert_items(
            session,
            src["grup-wa"],
            None,
            [_item(0, "grup-wa", specs[0][2], specs[0][3], NOW - timedelta(hours=1))],
        )
        items["klarifikasi"] = repo.upsert_items(
            session,
            src["kabar-demo"],
            None,
            [
                _item(
                    99,
                    "kabar-demo",
                    "KPU: TPS 5 Omben tidak pindah",
                    "KPU Sampang memastikan TPS 5 Omben tetap di tempat semula.",
                    NOW,
                )
            ],
        ).ids[0]
        orgs = {name: accounts.ensure_organisation(session, name, kind) for name, kind in ORGS.items()}
        password_hash = hash_password(PASSWORD)
        users = {
            name: accounts.create_user(session, name, password_hash, role, orgs[org])
            for name, (role, org) in USERS.items()
        }
    return Seeded(items=items, users=users, orgs=orgs)


def region_config() -> PantauConfig:
    return load_settings(bundled_examples_dir() / DEFAULT_CONFIG_NAME).region_config


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_from(page.text), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    engine: Engine
    seeded: Seeded
