"""The message catalogue: the Indonesian words for stored codes, shared by the web app, the report and
the Telegram digest, read from ``pantau/locale/id/LC_MESSAGES/pantau.po`` with Babel's PO reader.

Every entry has a context (``msgctxt``: the table, e.g. ``stage``) and the stored code as its ``msgid``.
Code and stored values stay English (``hoax``, ``voting_day``); only what people read comes from here,
so a label is written once (the web's, the report's and Telegram's stage names cannot drift apart).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType

from babel.messages.pofile import read_po

LOCALE = "id"
# A flagged item's reason starts with the signal's code and its score: "vote_buying 0.88 ≥ 0.60: amplop".
_LEADING_CODE = re.compile(r"^([a-z][a-z_]*)(?= \d)")
CATALOGUE = Path(__file__).parent / "locale" / LOCALE / "LC_MESSAGES" / "pantau.po"


@cache
def _tables() -> Mapping[str, Mapping[str, str]]:
    """context -> {code: label}, in catalogue order."""
    with CATALOGUE.open("rb") as fh:
        catalog = read_po(fh, locale=LOCALE)
    tables: dict[str, dict[str, str]] = {}
    for message in catalog:
        if message.id and message.context and isinstance(message.id, str) and message.string:
            tables.setdefault(message.context, {})[message.id] = str(message.string)
    return MappingProxyType({k: MappingProxyType(v) for k, v in tables.items()})


def contexts() -> list[str]:
    """The tables the catalogue has (``stage``, ``signal``, ...)."""
    return list(_tables())


def table(context: str) -> dict[str, str]:
    """A copy of one table, ``{code: label}``; KeyError names an unknown context."""
    tables = _tables()
    if context not in tables:
        raise KeyError(f"no message context {context!r}; known: {', '.join(tables)}")
    return dict(tables[context])


def label(context: str, code: str | None, default: str | None = None) -> str:
    """The label of ``code`` in ``context``; ``default`` (else the code itself) when it has none, '-' for
    None."""
    if code is None:
        return "-"
    found = _tables().get(context, {}).get(code)
    return found if found is not None else (code if default is None else default)


def stage_label(stage: str | None, configured: Mapping[str, str] | None = None) -> str:
    """A stage's name: the config's label when it gives one, else the catalogue's, else the code."""
    if stage is None:
        return "-"
    return (configured or {}).get(stage) or label("stage", stage)


def attribution_label(basis: str | None, by: str | None = None) -> str:
    """Why an answer is credited to its actor, in words: 'sumber', 'dikonfirmasi oleh Polres Sampang',
    'dicatat oleh Kabar Sampang', 'disebut dalam teks'; '-' when no basis is recorded."""
    if basis is None:
        return "-"
    if basis in ("confirmed", "reviewer"):
        if not by:
            return label("attribution", f"{basis}_anonymous")
        return label("attribution", basis) % {"by": by}
    return label("attribution", basis)


def reason_label(reason: str | None) -> str:
    """An alert's reason for people: a leading signal code in words ('vote_buying 0.88: amplop' ->
    '<label> 0.88: amplop'); other reasons as they are. Exports and the API keep the stored reason."""
    if not reason:
        return ""
    found = _LEADING_CODE.match(reason)
    if found is None or found.group(1) not in _tables().get("signal", {}):
        return reason
    return label("signal", found.group(1)) + reason[found.end() :]
