"""The password policy (issue 16 row 8, NIST SP 800-63B): one check behind the account page, the admin
page and ``pantau user add``; Indonesian messages on the web, English on the command line."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner
from webfixtures import PASSWORD, csrf_from, login

from pantau.cli.main import app as cli
from pantau.web import passwords
from pantau.web.auth import hash_password, verify_password
from pantau.web.passwords import MESSAGES_EN, MESSAGES_ID, WeakPasswordError
from storage import accounts

ISSUE_EXAMPLES = ["aaaaaaaaaa", "1234567890", " " * 10]  # all three were accepted before (row 8)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("aaaaaaaaaa", "one_char"),
        ("1234567890", "sequence"),
        (" " * 10, "whitespace"),
        ("\t \n" * 4, "whitespace"),
        ("pendek", "too_short"),
        ("x" * 9, "too_short"),
        ("ab" * 600, "too_long"),
        ("0987654321", "sequence"),
        ("qwertyuiop", "sequence"),
        ("abcdefghijk", "sequence"),
        ("1212121212", "repeated"),
        ("abcabcabcabc", "repeated"),
        ("aaaaaaaaab", "few_chars"),
        ("p" * 1023 + "q", "few_chars"),
        ("1111122222", "few_chars"),
        ("a1234567890", "sequence"),
        ("password123", "common"),
        ("P@ssw0rd2024", "common"),
        ("sampang2024", "common"),
        ("katasandi123", "common"),
        ("Bismillah!!", "common"),
        ("iloveyou2024", "common"),
        ("pantau2024!", "context"),
        ("peninjau_a-2024", "context"),
    ],
)
def test_refused_passwords(password, reason):
    assert passwords.problem(password, "peninjau_a") == reason
    with pytest.raises(WeakPasswordError) as refused:
        hash_password(password, "peninjau_a")
    assert refused.value.reason == reason and refused.value.message_id == MESSAGES_ID[reason]


@pytest.mark.parametrize(
    "password",
    [
        PASSWORD,
        "kuda baterai staples benar",
        "9c4Lx-2Qw8",
        "sandi-baru-panjang",
        "0812 3344 9051",
        "Kotak suara TPS 5 Omben aman, kata KPU",
        "bäckerstraße 12",
        " ".join(f"sapi karapan ke-{n} lari kencang" for n in range(30)),
    ],
)
def test_accepted_passwords(password):
    assert passwords.problem(password, "peninjau_a") is None
    assert verify_password(hash_password(password), password)


def test_every_reason_has_both_messages_and_the_list_is_bundled():
    assert MESSAGES_ID.keys() == MESSAGES_EN.keys()
    common = passwords.common_passwords()
    assert len(common) > 200 and all(p == p.lower() for p in common)
    assert {"password", "katasandi", "sampang", "qwertyuiop", "1234567890"} <= common


@pytest.mark.parametrize("weak", ISSUE_EXAMPLES)
def test_admin_page_refuses_weak_passwords(app, make_client, weak):
    admin = make_client("admin_redaksi")
    token = csrf_from(admin.get("/admin/users").text)
    refused = admin.post(
        "/admin/users",
        data={"username": "peninjau_c", "role": "reviewer", "password": weak, "csrf_token": token},
    )
    assert refused.status_code == 400
    assert MESSAGES_ID[passwords.problem(weak)] in refused.text
    with Session(app.state.ctx.engine) as session:
        assert accounts.account_by_username(session, "peninjau_c") is None


@pytest.mark.parametrize("weak", ISSUE_EXAMPLES + ["password123"])
def test_account_page_refuses_weak_passwords(make_client, weak):
    client = make_client("peninjau_a")
    token = csrf_from(client.get("/account").text)
    refused = client.post(
        "/account", data={"current": PASSWORD, "new": weak, "repeat": weak, "csrf_token": token}
    )
    assert refused.status_code == 400
    assert MESSAGES_ID[passwords.problem(weak)] in refused.text
    login(make_client(), "peninjau_a")  # the old password still works


def test_indonesian_messages_on_the_page(make_client):
    admin = make_client("admin_redaksi")
    token = csrf_from(admin.get("/admin/users").text)
    page = admin.post(
        "/admin/users",
        data={"username": "peninjau_c", "role": "reviewer", "password": "1234567890", "csrf_token": token},
    ).text
    assert "Kata sandi tidak boleh berupa urutan" in page


@pytest.mark.parametrize("weak", ISSUE_EXAMPLES)
def test_cli_user_add_refuses_weak_passwords(tmp_path, weak):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    result = CliRunner().invoke(
        cli,
        ["user", "add", "dua", "--org", "KPU", "--role", "reviewer", "--password-stdin", "--db", db],
        input=weak + "\n",
    )
    assert result.exit_code == 2
    assert MESSAGES_EN[passwords.problem(weak)] in " ".join(result.output.split())
