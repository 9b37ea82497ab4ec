"""Server-side charts for the pages: matplotlib (Agg, the object API, no pyplot) drawn as SVG, then made
fit to inline under the app's Content-Security-Policy (``style-src 'self'`` drops ``style`` attributes,
so each becomes presentation attributes; no ``<style>``, no metadata), scaled by its viewBox to the
width of its box (``width="100%"``), with ids prefixed so two charts on a page cannot collide.

Text (district and source names) is escaped by matplotlib's SVG writer and again by lxml on output;
math text is off (``$`` is a dollar). rcParams are global, so drawing holds one lock: call
:func:`stacked_bars` from a worker thread (``anyio.to_thread``), never on the event loop.
"""

from __future__ import annotations

import io
import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from babel.dates import format_date
from lxml import etree

_LOCK = threading.Lock()
_SVG = "{http://www.w3.org/2000/svg}"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_URL_REF = re.compile(r"url\(#([^)]+)\)")
#: a colour-blind-safe palette (Okabe-Ito), then grey for "the rest"
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
REST_COLOUR = "#9a9a9a"
MAX_SERIES = 7
#: at most this many bars: more buckets are summed k at a time for drawing (the title says so)
MAX_BARS = 120
FIGSIZE = (4.6, 3.4)  # inches: about 330 x 245 viewBox units, so 10-unit text is ~11 px at 360 px
FONT_SIZE = 10


@dataclass(frozen=True, slots=True)
class Band:
    """An election stage on the time axis: [start, end) in naive local time."""

    label: str
    start: datetime
    end: datetime


def csp_safe_svg(svg: str, *, title: str, prefix: str) -> str:
    """matplotlib's SVG document as an inline ``<svg>`` element that needs no stylesheet."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    root = etree.fromstring(svg.encode("utf-8"), parser)
    for element in list(root.iter(f"{_SVG}metadata", f"{_SVG}style")):
        element.getparent().remove(element)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        style = element.attrib.pop("style", None)
        for declaration in (style or "").split(";"):
            name, _, value = declaration.partition(":")
            if name.strip() and value.strip():
                element.set(name.strip(), value.strip())
        if "id" in element.attrib:
            element.set("id", f"{prefix}-{element.get('id')}")
        for attribute, value in element.attrib.items():
            if "url(#" in value:
                element.set(attribute, _URL_REF.sub(lambda m: f"url(#{prefix}-{m.group(1)})", value))
        href = element.get(_XLINK_HREF)
        if href and href.startswith("#"):
            element.set(_XLINK_HREF, f"#{prefix}-{href[1:]}")
    for attribute in ("width", "height"):
        root.attrib.pop(attribute, None)
    root.set("width", "100%")
    root.set("role", "img")
    root.set("aria-label", title)
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    label = etree.Element(f"{_SVG}title")
    label.text = title
    root.insert(0, label)
    return etree.tostring(root, encoding="unicode")


def _tick_label(moment: datetime, granularity: str) -> str:
    day = format_date(moment.date(), "d MMM", locale="id")
    if granularity == "hour" and (moment.hour or moment.minute):
        return moment.strftime("%H:%M")
    return day


def stacked_bars(
    *,
    title: str,
    buckets: Sequence[datetime],
    series: Sequence[tuple[str, Sequence[int]]],
    granularity: str,
    bands: Sequence[Band] = (),
    ylabel: str = "",
    rest_label: str = "Lainnya",
    prefix: str = "chart",
) -> str:
    """Counts per bucket (naive local bucket starts) as stacked bars, one colour per series (the
    ``MAX_SERIES`` largest; the rest summed in grey), stage bands shaded and labelled. Past
    ``MAX_BARS`` buckets, k consecutive buckets make one bar (1,500 hours would be 12,000 rectangles)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import dates as mdates
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ranked = sorted(series, key=lambda s: -sum(s[1]))
    shown = list(ranked[:MAX_SERIES])
    if len(ranked) > MAX_SERIES:
        rest = [sum(values) for values in zip(*(s[1] for s in ranked[MAX_SERIES:]), strict=True)]
        shown.append((rest_label, rest))
    step = timedelta(days=1) if granularity == "day" else timedelta(hours=1)
    k = math.ceil(len(buckets) / MAX_BARS) if len(buckets) > MAX_BARS else 1
    if k > 1:
        buckets = list(buckets[::k])
        shown = [(name, [sum(counts[j : j + k]) for j in range(0, len(counts), k)]) for name, counts in shown]
        title = f"{title} (digabung per {k} {'hari' if granularity == 'day' else 'jam'})"
        step = step * k
    x = [mdates.date2num(b) for b in buckets]
    width = mdates.date2num(datetime(2000, 1, 1) + step) - mdates.date2num(datetime(2000, 1, 1))
    rc = {"svg.fonttype": "none", "svg.hashsalt": "pantau", "text.parse_math": False, "font.size": FONT_SIZE}
    with _LOCK, matplotlib.rc_context(rc):
        fig = Figure(figsize=FIGSIZE)
        ax = fig.subplots()
        lo, hi = (buckets[0], buckets[-1] + step) if buckets else (datetime(2000, 1, 1), datetime(2000, 1, 2))
        for i, band in enumerate(b for b in bands if b.end > lo and b.start < hi):
            start, end = max(band.start, lo), min(band.end, hi)
            if i % 2 == 0:
                ax.axvspan(start, end, color="#eef1f5", zorder=0, linewidth=0)
            ax.axvline(start, color="#6b7a8f", linewidth=0.8, linestyle="--", zorder=1)
            ax.text(
                start,
                0.98,
                " " + band.label,
                transform=ax.get_xaxis_transform(),
                rotation=90,
                va="top",
                ha="left",
                fontsize=FONT_SIZE - 1,
                color="#3b4656",
                clip_on=True,
                zorder=3,
            )
        bottom = [0] * len(buckets)
        for i, (label, values) in enumerate(shown):
            colour = REST_COLOUR if i == MAX_SERIES else PALETTE[i % len(PALETTE)]
            ax.bar(x, values, width=width * 0.9, bottom=bottom, align="edge", color=colour, label=label)
            bottom = [a + b for a, b in zip(bottom, values, strict=True)]
        ax.set_xlim(mdates.date2num(lo), mdates.date2num(hi))
        ax.set_ylim(0, max(max(bottom, default=0), 1) * 1.15)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=2, maxticks=4))
        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda v, _: _tick_label(mdates.num2date(v).replace(tzinfo=None), granularity))
        )
        ax.set_title(title, fontsize=FONT_SIZE + 1, loc="left")
        ax.set_ylabel(ylabel)
        ax.spines[["top", "right"]].set_visible(False)
        if shown:
            ax.legend(
                loc="upper center",
                bbox_to_anchor=(0.5, -0.14),
                ncol=2,
                frameon=False,
                fontsize=FONT_SIZE - 1,
                handlelength=1.0,
                columnspacing=1.0,
            )
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return csp_safe_svg(buffer.getvalue(), title=title, prefix=prefix)
