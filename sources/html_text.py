"""HTML fragments (feed bodies, titles) to clean plain text: no markup, no scripts, paragraphs kept."""

from __future__ import annotations

import re
import warnings

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning

_DROP = ("script", "style", "noscript", "template", "iframe", "object", "svg", "head")
_BLOCKS = (
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "aside",
    "blockquote",
    "pre",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "table",
    "figure",
    "figcaption",
    "hr",
    "dl",
    "address",
)
_LINES = ("li", "tr", "dt", "dd")
_SPACES = re.compile(r"[^\S\n]+")  # whitespace except newlines (includes NBSP and other Unicode spaces)
_BLANK_LINES = re.compile(r"\n\s*\n+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def parse_html(text: str) -> BeautifulSoup:
    """BeautifulSoup's html.parser on untrusted text, without its warnings about text that looks
    like a file name or like XML (hostile and broken pages often do)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        return BeautifulSoup(text, "html.parser")


def html_to_text(html: str | None) -> str:
    """Plain text of an HTML fragment: entities unescaped, script/style removed, one blank line
    between blocks (paragraphs, headings, list items), ``<br>`` as a line break."""
    if not html or not html.strip():
        return ""
    if "<" not in html and "&" not in html:
        return clean_whitespace(html)
    soup = parse_html(html)
    for tag in soup.find_all(_DROP):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for line in soup.find_all(_LINES):
        line.insert_before("\n")
        line.insert_after("\n")
    for block in soup.find_all(_BLOCKS):
        block.insert_before("\n\n")
        block.insert_after("\n\n")
    return clean_whitespace(soup.get_text())


def clean_whitespace(text: str) -> str:
    """Collapse runs of spaces (NBSP included) and blank lines; trim every line and the whole text."""
    text = text.translate(_INVISIBLE).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
