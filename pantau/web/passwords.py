"""The password policy (NIST SP 800-63B, section 5.1.1.2): one check used by every path that sets a
password (the account page, the admin page, ``pantau user add``).

A password needs 10-1024 characters and is refused when it is only whitespace, one character repeated,
fewer than 4 different characters, a short pattern repeated, a run such as ``1234567890`` or
``qwertyuiop``, the username or the app's name, or a common password: it (or its core once
leading/trailing digits and punctuation are removed and l33t letters undone, so ``P@ssw0rd2024`` and
``sampang2024`` count) is in the bundled ``common_passwords.txt``. No composition rules (NIST advises
against them).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

MIN_LENGTH = 10
MIN_DISTINCT = 4
MAX_LENGTH = 1024
COMMON_FILE = Path(__file__).with_name("common_passwords.txt")
CONTEXT_WORDS = ("pantau", "pantaupemilu")
_RUNS = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890123456789",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "qazwsxedcrfvtgbyhnujmikolp",
)
_LEET = str.maketrans(
    {
        "@": "a",
        "4": "a",
        "8": "b",
        "3": "e",
        "1": "i",
        "!": "i",
        "0": "o",
        "$": "s",
        "5": "s",
        "7": "t",
        "+": "t",
        "9": "g",
        "2": "z",
    }
)
_AFFIX = "0123456789!@#$%^&*()-_=+.,;:?/~`'\"[]{}<>\\| "

#: Why a password is refused, in Bahasa Indonesia (the web forms) and English (the CLI).
MESSAGES_ID = {
    "too_short": f"Kata sandi minimal {MIN_LENGTH} karakter.",
    "too_long": f"Kata sandi maksimal {MAX_LENGTH} karakter.",
    "whitespace": "Kata sandi tidak boleh hanya berisi spasi.",
    "one_char": "Kata sandi tidak boleh hanya satu karakter yang diulang (misalnya aaaaaaaaaa).",
    "few_chars": f"Kata sandi harus memuat setidaknya {MIN_DISTINCT} karakter yang berbeda.",
    "repeated": "Kata sandi tidak boleh berupa pola pendek yang diulang-ulang (misalnya 1212121212).",
    "sequence": "Kata sandi tidak boleh berupa urutan huruf, angka atau tombol keyboard "
    "(misalnya 1234567890 atau qwertyuiop).",
    "context": "Kata sandi tidak boleh berupa nama pengguna atau nama aplikasi.",
    "common": "Kata sandi ini terlalu umum dan mudah ditebak. Pilih yang lain, misalnya tiga atau empat "
    "kata acak.",
}
MESSAGES_EN = {
    "too_short": f"the password needs at least {MIN_LENGTH} characters",
    "too_long": f"the password may have at most {MAX_LENGTH} characters",
    "whitespace": "the password may not be only whitespace",
    "one_char": "the password may not be one character repeated",
    "few_chars": f"the password needs at least {MIN_DISTINCT} different characters",
    "repeated": "the password may not be a short pattern repeated",
    "sequence": "the password may not be a run of letters, digits or keyboard keys (like 1234567890)",
    "context": "the password may not be the username or the app's name",
    "common": "the password is a common one and easy to guess; choose another (a few random words work)",
}


class WeakPasswordError(ValueError):
    """A password the policy refuses; ``reason`` is a key of :data:`MESSAGES_ID` / :data:`MESSAGES_EN`."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(MESSAGES_EN[reason])

    @property
    def message_id(self) -> str:
        """The reason in Bahasa Indonesia, for the web forms."""
        return MESSAGES_ID[self.reason]


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _period(text: str) -> int:
    """The smallest p such that ``text`` is a prefix of its first p characters repeated (the KMP
    failure function, linear in the length)."""
    border = [0] * len(text)
    for i in range(1, len(text)):
        k = border[i - 1]
        while k and text[i] != text[k]:
            k = border[k - 1]
        border[i] = k + 1 if text[i] == text[k] else 0
    return len(text) - (border[-1] if text else 0)


def _is_run(text: str) -> bool:
    return len(text) >= 4 and any(text in run or text in run[::-1] for run in _RUNS)


def problem(password: str, username: str | None = None) -> str | None:
    """Why ``password`` is refused (a key of :data:`MESSAGES_ID`), or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    if not password.strip():
        return "whitespace"
    if len(set(password)) == 1:
        return "one_char"
    lower = password.lower()
    if _period(lower) <= len(lower) // 2:
        return "repeated"
    if len(set(lower)) < MIN_DISTINCT:
        return "few_chars"
    if _is_run(lower) or _is_run(lower.replace(" ", "")):
        return "sequence"
    core = lower.strip(_AFFIX)
    candidates = {lower, core, lower.translate(_LEET), core.translate(_LEET), core.strip(_AFFIX)}
    context = {w for w in (*CONTEXT_WORDS, (username or "").strip().lower()) if len(w) >= 3}
    if candidates & context or _stem(core) in context:
        return "context"
    common = common_passwords()
    if candidates & common or _stem(core) in common:
        return "common"
    rest = "".join(c for c in lower if c not in core) if len(core) <= 2 else ""
    if _is_run(core) or (core and len(set(core)) == 1 and len(core) >= 3) or _weak_affix(rest):
        return "sequence"
    return None


def _weak_affix(rest: str) -> bool:
    """Digits/punctuation around at most two letters (``a1234567890``) that are a run or a pattern."""
    digits = rest.strip()
    return len(digits) >= 4 and (
        _is_run(digits) or _period(digits) <= len(digits) // 2 or len(set(digits)) == 1
    )


def _stem(core: str) -> str:
    """``core`` with l33t letters undone, then leading/trailing digits and punctuation removed again."""
    return core.translate(_LEET).strip(_AFFIX)


def check(password: str, username: str | None = None) -> None:
    """Raise :class:`WeakPasswordError` when the policy refuses ``password``."""
    reason = problem(password, username)
    if reason is not None:
        raise WeakPasswordError(reason)
