"""Article main-text extraction: Pantau's old heuristic vs trafilatura alone vs Pantau's extraction now.

Usage: ``python benchmarks/bench_extraction.py [--pages DIR] [--only NAME ...] [--large]``

Pages: ``benchmarks/extraction_pages/NAME.html`` with the gold main text in ``NAME.txt``. **The
pages and their gold texts were written by the Pantau project** (invented outlets on example.org/
example.com, invented texts in the style of Indonesian regional portals), by the same people who
wrote the extractor; they are not a held-out public benchmark and the figures are not a claim about
real sites. The extractor's word lists were fixed before the pages were written and were not tuned
on them afterwards. No installed package ships HTML test pages with gold text (the trafilatura,
jusText, courlan and htmldate wheels hold none; :func:`shipped_pages` checks at run time).

Gold text rules (decided before the extractor's Indonesian word lists and before the pages):

* Main text is the running text of the article *as it appears on this page*: body paragraphs,
  with the dateline that opens the first one ("SAMPANG, Kabar Madura -"); subheadings inside the
  body; list items and table cells inside the body; quotations that are part of the article; and
  reporter initials written inside the last paragraph ("(ida/rd)").
* Not main text: the headline (it is the item's title) and its kicker; date, author, editor,
  reporter and photographer lines; image and video captions and photo credits; "Baca juga:" /
  "Baca Juga" / "Simak juga" / "Lihat juga" blocks with their link titles; "Berita terkait",
  "Terpopuler", "Berita lainnya" lists and their teasers; tag lists; breadcrumbs; menus; share,
  print and font-size buttons; ad placeholders ("ADVERTISEMENT", "SCROLL TO CONTINUE WITH
  CONTENT", "Iklan"); pagination ("Halaman 1 2 3 Selanjutnya"); comment sections; newsletter,
  app and Google News promos; cookie banners; author bio boxes; footers.
* The other pages of a paginated article are not part of this page's gold text.

Metric (the ScrapingHub article-extraction-benchmark's way, on tokens instead of its 4-token
shingles): tokens are ``\\w+`` runs (Unicode, case kept); true positives are the multiset
intersection of predicted and gold tokens; precision = tp / predicted tokens, recall = tp / gold
tokens, per page. Overall precision and recall are the means over pages (a page with an empty
prediction counts for recall only, as there), F1 = 2PR / (P + R) of those means. The ``sh4 F1``
column is the same on 4-token shingles, the benchmark's own default.

``--large`` times the three extractors on synthetic large pages (speed, not quality).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import trafilatura

from sources.html_article import FALLBACKS, decode_html, heuristic_main_text, parse_article
from sources.html_text import parse_html

PAGES = Path(__file__).resolve().parent / "extraction_pages"
LIBRARIES = ("trafilatura", "jusText", "courlan", "htmldate")  # where shipped test pages would be
_TOKEN = re.compile(r"\w+")


def old_heuristic(content: bytes) -> str:
    """Pantau's hand-written extractor before trafilatura (still its fallback)."""
    return heuristic_main_text(parse_html(decode_html(content)))[0]


def trafilatura_alone(content: bytes) -> str:
    """trafilatura's own decoding and text output, default settings, comments left out."""
    return trafilatura.extract(content, include_comments=False) or ""


def pantau_now(content: bytes) -> str:
    """What the ``html`` source kind stores as the item's text."""
    item = parse_article(content, url="https://bench.example.org/article")
    return item.text if item else ""


EXTRACTORS: dict[str, Callable[[bytes], str]] = {
    "old heuristic": old_heuristic,
    "trafilatura alone": trafilatura_alone,
    "Pantau now": pantau_now,
}


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text or "")


def shingles(text: str, n: int = 4) -> list[tuple[str, ...]]:
    words = tokens(text)
    return [tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1)) if words[i : i + n]]


def overlap(gold: list, predicted: list) -> tuple[int, int, int]:
    """(true positives, predicted count, gold count) of two bags."""
    return sum((Counter(gold) & Counter(predicted)).values()), len(predicted), len(gold)


def scores(counts: list[tuple[int, int, int]]) -> tuple[float, float, float]:
    """Mean precision, mean recall and the F1 of the two over pages (ScrapingHub's averaging)."""
    precisions = [tp / n_pred for tp, n_pred, _ in counts if n_pred]
    recalls = [tp / n_gold for tp, _, n_gold in counts if n_gold]
    precision = statistics.mean(precisions) if precisions else 0.0
    recall = statistics.mean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def page_f1(tp: int, n_pred: int, n_gold: int) -> float:
    return 2 * tp / (n_pred + n_gold) if n_pred + n_gold else 1.0


def shipped_pages() -> list[Path]:
    """HTML files that the installed extraction libraries ship (none in the versions checked)."""
    found = []
    for name in LIBRARIES:
        try:
            files = metadata.files(name) or []
        except metadata.PackageNotFoundError:
            continue
        found += [Path(str(f.locate())) for f in files if f.suffix.lower() in (".html", ".htm")]
    return found


def load_pages(folder: Path, only: list[str] | None) -> list[tuple[str, bytes, str]]:
    pages = []
    for html in sorted(folder.glob("*.html")):
        if only and html.stem not in only:
            continue
        gold = html.with_suffix(".txt")
        if gold.exists():
            pages.append((html.stem, html.read_bytes(), gold.read_text(encoding="utf-8")))
    return pages


def run(folder: Path, only: list[str] | None = None, out=sys.stdout) -> dict[str, tuple[float, ...]]:
    pages = load_pages(folder, only)
    if not pages:
        raise SystemExit(f"no NAME.html + NAME.txt pairs in {folder}")
    print(f"{len(pages)} pages from {folder} (written by the Pantau project, not held out)", file=out)
    shipped = shipped_pages()
    print(
        f"HTML pages shipped by {', '.join(LIBRARIES)}: "
        + (f"{len(shipped)} (no gold text, not scored)" if shipped else "none"),
        file=out,
    )
    word_counts: dict[str, list[tuple[int, int, int]]] = {name: [] for name in EXTRACTORS}
    shingle_counts: dict[str, list[tuple[int, int, int]]] = {name: [] for name in EXTRACTORS}
    seconds = dict.fromkeys(EXTRACTORS, 0.0)
    fallbacks_before = sum(FALLBACKS.values())
    print(f"\n{'page':<34}" + "".join(f"{name:>26}" for name in EXTRACTORS), file=out)
    print(f"{'':<34}" + f"{'P     R     F1':>26}" * len(EXTRACTORS), file=out)
    for name, content, gold in pages:
        row = f"{name:<34}"
        for extractor, extract in EXTRACTORS.items():
            start = time.perf_counter()
            predicted = extract(content)
            seconds[extractor] += time.perf_counter() - start
            counts = overlap(tokens(gold), tokens(predicted))
            word_counts[extractor].append(counts)
            shingle_counts[extractor].append(overlap(shingles(gold), shingles(predicted)))
            tp, n_pred, n_gold = counts
            precision = tp / n_pred if n_pred else 0.0
            row += f"{precision:>14.2f}{tp / n_gold:>6.2f}{page_f1(*counts):>6.2f}"
        print(row, file=out)
    results = {}
    header = f"{'overall (' + str(len(pages)) + ' pages)':<26}{'P':>7}{'R':>7}{'F1':>7}{'sh4 F1':>8}"
    print(f"\n{header}{'ms/page':>9}", file=out)
    for extractor in EXTRACTORS:
        precision, recall, f1 = scores(word_counts[extractor])
        shingle_f1 = scores(shingle_counts[extractor])[2]
        results[extractor] = (precision, recall, f1, shingle_f1)
        ms = 1000 * seconds[extractor] / len(pages)
        line = f"{extractor:<26}{precision:>7.3f}{recall:>7.3f}{f1:>7.3f}{shingle_f1:>8.3f}{ms:>9.1f}"
        print(line, file=out)
    used = sum(FALLBACKS.values()) - fallbacks_before
    print(f"\nPantau now fell back to the heuristic on {used} of {len(pages)} pages", file=out)
    return results


def large_pages() -> None:
    """Seconds per extractor on synthetic pages of growing size (a long article plus a big menu)."""
    words = "warga sampang kampanye damai pemungutan suara kecamatan torjun bawaslu kpu saksi tps".split()
    for paragraphs in (500, 4000, 16000, 38000):
        body = "".join(
            f"<p>{' '.join(words[(i + k) % len(words)] for k in range(24))} nomor {i}. "
            f"<a href='/b/{i}'>tautan {i}</a></p>\n"
            for i in range(paragraphs)
        )
        menu = "".join(f"<li><a href='/k/{i}'>Kategori {i}</a></li>" for i in range(paragraphs // 5))
        page = (
            f"<html><head><title>Besar</title></head><body><nav><ul>{menu}</ul></nav>"
            f"<article><h1>Judul</h1>{body}</article></body></html>"
        ).encode()
        cells = []
        for extract in EXTRACTORS.values():
            start = time.perf_counter()
            extract(page)
            cells.append(f"{time.perf_counter() - start:>8.2f} s")
        print(f"{len(page) / 1e6:>6.2f} MB, {paragraphs:>6} paragraphs: " + "  ".join(cells))
    print("columns: " + ", ".join(EXTRACTORS) + "; pages over max_bytes (10 MB) are refused before parsing")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, default=PAGES)
    parser.add_argument("--only", nargs="*", help="page names (without .html) to score")
    parser.add_argument("--large", action="store_true", help="also time synthetic large pages")
    args = parser.parse_args()
    run(args.pages, args.only)
    if args.large:
        print()
        large_pages()


if __name__ == "__main__":
    main()
