"""Every CSV Pantau writes goes through here: UTF-8 with a byte-order mark (so spreadsheets read the
Indonesian text right) and no cell a spreadsheet would run as a formula.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe
(OWASP, "CSV Injection"): scraped titles such as ``=HYPERLINK("http://evil", "klik")`` stay text.
A plain number (``-3.5``) and the lone placeholder ``-`` are left as they are: neither can be read as a
formula, and quoting them would turn numbers into text.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_INERT = re.compile(r"-|[+-]?\d+(\.\d+)?")


def safe_cell(value: object) -> str:
    """The cell's text, neutralised: None is empty, lists and tuples are joined with ', '."""
    if value is None:
        text = ""
    elif isinstance(value, list | tuple):
        text = ", ".join("" if v is None else str(v) for v in value)
    else:
        text = str(value)
    if text.startswith(FORMULA_STARTS) and not _INERT.fullmatch(text):
        return "'" + text
    return text


class SafeWriter:
    """``csv.writer`` over a text stream that neutralises every cell; writes the BOM first (``bom``)."""

    def __init__(self, stream: IO[str], *, bom: bool = True):
        if bom:
            stream.write(BOM)
        self._writer = csv.writer(stream)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
