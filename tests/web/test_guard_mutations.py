"""A short mutation check (issue 16 row 12): each guard named below is removed from a temporary copy of
the code and the tests that name it must then fail. If one of these mutations leaves its tests green,
the tests no longer catch what they claim; if a target line is gone, update the mutation with the code.

Each case copies ``pantau/`` and ``storage/`` (``examples/`` linked) to a temporary directory, edits one
file there and runs a few named tests in a subprocess whose import path puts the copy first (the working
tree is not touched). About a minute in all.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECURITY = "tests/web/test_web_security.py"
SESSIONS = "tests/web/test_web_sessions.py"
PASSWORDS = "tests/web/test_passwords.py"

#: name: (file, the guard's code, what replaces it, the tests that must fail)
MUTATIONS: dict[str, tuple[str, str, str, list[str]]] = {
    "javascript_url_guard": (
        "pantau/web/queue.py",
        'return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None',
        "return url.strip()",
        [f"{SECURITY}::test_javascript_urls_are_never_links"],
    ),
    "fixed_public_session_secret": (
        "pantau/web/app.py",
        "                SessionMiddleware,\n                secret_key=secret_key,",
        "                SessionMiddleware,\n"
        '                secret_key="pantau-public-session-secret-0123456789",',
        [f"{SECURITY}::test_session_cookie_cannot_be_forged"],
    ),
    "no_session_clearing_at_sign_in": (
        "pantau/web/auth.py",
        "    request.session.clear()\n    request.session.update({SESSION_USER",
        "    request.session.update({SESSION_USER",
        [f"{SESSIONS}::test_sign_in_starts_a_fresh_session"],
    ),
    "no_csrf_rotation_at_sign_in": (
        "pantau/web/auth.py",
        "SESSION_VERSION: account.session_version})\n    csrf.rotate(request)\n",
        "SESSION_VERSION: account.session_version})\n",
        [f"{SESSIONS}::test_sign_in_starts_a_fresh_session"],
    ),
    "no_session_version_check": (
        "pantau/web/auth.py",
        " or account.session_version != version",
        "",
        [
            f"{SESSIONS}::test_copied_cookie_stops_working_after_logout",
            f"{SESSIONS}::test_cookie_of_an_older_version_is_refused",
        ],
    ),
    "logout_keeps_copies_alive": (
        "pantau/web/auth.py",
        "    await ctx.run(lambda s: accounts.end_sessions(s, account.id))\n",
        "",
        [f"{SESSIONS}::test_copied_cookie_stops_working_after_logout"],
    ),
    "reactivation_revives_cookies": (
        "storage/accounts.py",
        "    session.flush()\n    end_sessions(session, user_id)\n\n\ndef set_role",
        "    session.flush()\n\n\ndef set_role",
        [f"{SESSIONS}::test_reactivating_a_user_does_not_revive_old_cookies"],
    ),
    "no_password_policy": (
        "pantau/web/auth.py",
        "    passwords.check(password, username)\n",
        "",
        [f"{PASSWORDS}::test_admin_page_refuses_weak_passwords"],
    ),
}


def _copy(tmp_path: Path, mutation: tuple[str, str, str] | None) -> Path:
    for package in ("pantau", "storage"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "examples").symlink_to(ROOT / "examples")  # the bundled config, found next to the package
    if mutation is not None:
        file, guard, replacement = mutation
        target = tmp_path / file
        code = target.read_text(encoding="utf-8")
        assert code.count(guard) == 1, f"the guard is no longer in {file} exactly once: update this mutation"
        target.write_text(code.replace(guard, replacement), encoding="utf-8")
    return tmp_path


def _run_tests(copy: Path, tests: list[str]) -> tuple[int, str]:
    """Run ``tests`` with the copy first on the import path; (exit status, pytest's summary line)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(copy), os.environ.get("PYTHONPATH", "")]),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    check = f"import pantau, storage; assert pantau.__file__.startswith({str(copy)!r}), pantau.__file__"
    subprocess.run([sys.executable, "-c", check], cwd=copy, env=env, check=True, timeout=60)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-n",
            "0",  # serial: the outer run already uses the cores
            "--rootdir",
            str(ROOT),
            *(str(ROOT / t) for t in tests),
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = result.stdout.strip().splitlines()
    return result.returncode, lines[-1] if lines else result.stderr[-2000:]


def test_the_unmutated_copy_passes_every_named_test(tmp_path):
    """The control: in the copy as it is, every test the mutations name passes (so a failure below is
    the mutation's doing, not the copy's)."""
    tests = sorted({t for *_, named in MUTATIONS.values() for t in named})
    status, summary = _run_tests(_copy(tmp_path / "copy", None), tests)
    assert status == 0, summary


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_removing_the_guard_fails_its_tests(tmp_path, name):
    file, guard, replacement, tests = MUTATIONS[name]
    status, summary = _run_tests(_copy(tmp_path / "copy", (file, guard, replacement)), tests)
    assert status == 1, f"{name}: expected failing tests, got exit status {status}: {summary}"
    failed = re.search(r"(\d+) failed", summary)
    assert failed and " error" not in summary, summary
