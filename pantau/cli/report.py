"""``pantau report``: the outcome report per election stage, as printable HTML (inline SVG charts) and CSV.

For a forum meeting without the tool: which claims were seen, which were answered, by whom and how
fast, and whether they kept spreading. Every scraped string is HTML-escaped; charts carry only
counts, dates and configured names, rendered by matplotlib as SVG with math text off.
"""

from __future__ import annotations

import csv
import html
import io
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import typer

from pantau.cli.alerts import parse_since
from pantau.cli.common import handle_errors
from pantau.domain.config import PantauConfig
from pantau.domain.errors import UnusableInputError
from pantau.domain.outcomes import (
    ACTOR_CATEGORIES,
    ActorOutcome,
    ClaimOutcome,
    GroupOutcome,
    by_actor,
    by_category,
    by_stage,
    claim_outcomes,
    group_outcome,
)

FORMATS = ("html", "csv")
TEXT_CHARS = 220


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, computed once for both formats."""

    region: str
    timezone: str
    stage_labels: dict[str, str]
    filters: str
    generated_at: datetime
    claims: list[ClaimOutcome]
    stages: list[GroupOutcome]
    total: GroupOutcome
    actors: list[ActorOutcome]
    categories: dict[str, int]


def build_report(claim_records, answers, region: PantauConfig, *, filters: str = "all claims",
                 now: datetime | None = None) -> ReportData:
    """The report's figures from plain outcome records (see ``storage.outcomes_query``)."""
    outcomes = claim_outcomes(claim_records, answers)
    return ReportData(
        region=region.region, timezone=region.timezone,
        stage_labels={s.name: s.label or s.name for s in region.stages}, filters=filters,
        generated_at=now or datetime.now(UTC), claims=outcomes,
        stages=by_stage(outcomes, [s.name for s in region.stages]), total=group_outcome("all", outcomes),
        actors=by_actor(outcomes, answers), categories=by_category(outcomes),
    )


# --- formatting helpers ---------------------------------------------------------------------------

def _local(moment: datetime | None, tz: str) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(tz))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def _hours(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= TEXT_CHARS else flat[:TEXT_CHARS - 1].rstrip() + "…"


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


# --- CSV ------------------------------------------------------------------------------------------

def write_csv(data: ReportData, out_dir: Path) -> list[Path]:
    """claims.csv (one row per claim), actors.csv (per actor) and stages.csv (per stage and total)."""
    claims = out_dir / "claims.csv"
    with claims.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["claim_id", "stage", "first_seen_utc", "items", "sources", "districts", "answered",
                    "first_answer_utc", "first_answer_actor", "first_answer_category",
                    "hours_to_first_answer", "answering_actors", "items_after_answer", "kept_spreading",
                    "canonical_text"])
        for c in data.claims:
            w.writerow([c.claim_id, c.stage or "", c.first_seen_at.isoformat(), c.items, c.sources,
                        "; ".join(c.districts), int(c.answered),
                        c.first_answer_at.isoformat() if c.first_answer_at else "",
                        c.first_answer_actor or "", c.first_answer_category or "",
                        "" if c.hours_to_first_answer is None else f"{c.hours_to_first_answer:.2f}",
                        "; ".join(c.answering_actors), c.items_after_answer, int(c.kept_spreading),
                        " ".join(c.canonical_text.split())])
    actors = out_dir / "actors.csv"
    with actors.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["actor", "category", "claims_answered", "first_answers", "median_hours_to_answer"])
        for a in data.actors:
            w.writerow([a.actor, a.category, a.claims_answered, a.first_answers,
                        "" if a.median_hours is None else f"{a.median_hours:.2f}"])
    stages = out_dir / "stages.csv"
    with stages.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["stage", "claims", "answered", "answered_share", "median_hours_to_first_answer",
                    "kept_spreading"])
        for g in [*data.stages, data.total]:
            w.writerow([g.name, g.claims, g.answered,
                        "" if g.answered_share is None else f"{g.answered_share:.3f}",
                        "" if g.median_hours is None else f"{g.median_hours:.2f}", g.kept_spreading])
    return [claims, actors, stages]


# --- charts (inline SVG) --------------------------------------------------------------------------

def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _bar_chart(title: str, labels: list, values: list[int], *, xlabel: str = "", ylabel: str = "",
               horizontal: bool = False) -> str:
    """A bar chart; ``labels`` may be dates (then on a true time axis, so gaps between days show)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import dates as mdates
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "pantau", "text.parse_math": False,
                                "font.size": 9}):
        fig, ax = plt.subplots(figsize=(6.4, 2.6 if not horizontal else 0.3 * len(labels) + 1.2))
        try:
            if horizontal:
                ax.barh(labels[::-1], values[::-1], color="#4c72b0")
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            else:
                ax.bar(labels, values, color="#4c72b0")
                ax.yaxis.set_major_locator(MaxNLocator(integer=True))
                if labels and isinstance(labels[0], date):
                    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %Y"))
                ax.tick_params(axis="x", labelrotation=45)
            ax.set_title(title)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            ax.spines[["top", "right"]].set_visible(False)
            return _svg(fig)
        finally:
            plt.close(fig)


def charts(data: ReportData) -> dict[str, str]:
    """The four charts as SVG strings: claims over time, time to debunk, actors, districts."""
    per_day = Counter(c.first_seen_at.astimezone(ZoneInfo(data.timezone)).date() for c in data.claims)
    days = sorted(per_day)
    bins = [("< 1 h", 0, 1), ("1–6 h", 1, 6), ("6–24 h", 6, 24), ("1–3 d", 24, 72), ("> 3 d", 72, None)]
    hours = [c.hours_to_first_answer for c in data.claims if c.hours_to_first_answer is not None]
    debunk = [sum(1 for h in hours if lo <= h and (hi is None or h < hi)) for _, lo, hi in bins]
    districts = Counter(d for c in data.claims for d in c.districts).most_common(14)
    return {
        "claims_over_time": _bar_chart("New claims per day (first sighting)", days,
                                       [per_day[d] for d in days], ylabel="claims"),
        "time_to_debunk": _bar_chart("Time from first sighting to first counter-narrative",
                                     [b[0] for b in bins], debunk, ylabel="claims answered"),
        "actors": _bar_chart("Claims answered, by actor category", list(ACTOR_CATEGORIES),
                             [data.categories[c] for c in ACTOR_CATEGORIES], xlabel="claims answered",
                             horizontal=True),
        "districts": _bar_chart("Claims per kecamatan mentioned", [d for d, _ in districts],
                                [n for _, n in districts], xlabel="claims", horizontal=True),
    }


# --- HTML -----------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:60em}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.9em;width:100%}
th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#eee} td.n{text-align:right} .chart{page-break-inside:avoid;margin:1em 0}
.note{color:#555;font-size:.9em} svg{max-width:100%;height:auto}
@media print{body{margin:1cm} h2{page-break-after:avoid} tr{page-break-inside:avoid}}
"""


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td{' class=n' if i in numeric else ''}>{_e(v)}</td>"
                                    for i, v in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(data: ReportData) -> str:
    """A self-contained, printable HTML report."""
    tz = data.timezone
    label = data.stage_labels
    stage_rows = [[label.get(g.name, "All stages" if g is data.total else g.name), g.claims, g.answered,
                   _share(g.answered_share), _hours(g.median_hours), g.kept_spreading]
                  for g in [*data.stages, data.total]]
    actor_rows = [[a.actor, a.category, a.claims_answered, a.first_answers, _hours(a.median_hours)]
                  for a in data.actors]
    claim_rows = [[c.claim_id, _local(c.first_seen_at, tz), label.get(c.stage or "", c.stage or ""),
                   _short(c.canonical_text), c.items, c.sources, ", ".join(c.districts),
                   _local(c.first_answer_at, tz), c.first_answer_actor or ("(unattributed)" if c.answered
                                                                          else "not answered"),
                   _hours(c.hours_to_first_answer), c.items_after_answer] for c in data.claims]
    figures = charts(data) if data.claims else {}
    chart_html = "".join(f'<div class="chart">{svg}</div>' for svg in figures.values())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Pantau outcome report: {_e(data.region)}</title><style>{_CSS}</style></head><body>
<h1>Pantau outcome report: {_e(data.region)}</h1>
<p>{_e(data.filters[:1].upper() + data.filters[1:])}. Generated {_e(_local(data.generated_at, tz))}.
Times are local ({_e(tz)}).</p>
<p class="note">A <b>claim</b> is a group of items (posts, articles) repeating one statement. It is
<b>answered</b> when a counter-narrative (a fact-check, a clarification by Polres, KPU, Bawaslu, a
newsroom's debunk) is linked to it; links a reviewer rejected do not count. <b>Hours to first
answer</b> run from the claim's first sighting (publication time of its earliest item) to the
publication of its first counter-narrative (0 if the debunk already existed). <b>Kept spreading</b>
counts items of the claim published after that first answer.</p>
<h2>Per election stage</h2>
{_table(["stage", "claims", "answered", "share answered", "median hours to first answer",
         "kept spreading"], stage_rows, {1, 2, 3, 4, 5})}
<h2>Charts</h2>{chart_html or "<p>No claims in this selection.</p>"}
<h2>Who answered</h2>
{_table(["actor", "category", "claims answered", "answered first", "median hours"], actor_rows, {2, 3, 4})}
<h2>Claims</h2>
{_table(["claim", "first seen", "stage", "claim text", "items", "sources", "kecamatan", "first answer",
         "answered by", "hours", "items after answer"], claim_rows, {0, 4, 5, 9, 10})}
</body></html>
"""


# --- the command ----------------------------------------------------------------------------------

def _until(value: str | None) -> datetime | None:
    """An ISO date means the end of that day (UTC); a date-time is taken as given."""
    if not value:
        return None
    moment = parse_since(value)
    if moment is not None and len(value.strip()) == 10:
        moment = datetime.combine(date.fromisoformat(value.strip()), time.max, UTC)
    return moment


@handle_errors
def report(
    out: Path = typer.Option(Path("report"), "--out", "-o", help="Folder to write the report into."),
    stage: str | None = typer.Option(None, "--stage", help="Only claims first seen in this stage."),
    since: str | None = typer.Option(None, "--since", help="First seen at or after (ISO date/time, or 7d)."),
    until: str | None = typer.Option(None, "--until", help="First seen at or before (ISO date/time)."),
    formats: str = typer.Option("html,csv", "--format", help="Comma-separated: html, csv."),
    confirmed_only: bool = typer.Option(False, "--confirmed-only",
                                        help="Count only links a reviewer confirmed."),
    config: Path | None = typer.Option(None, "--config", "-c", help="Config file."),
    db: str | None = typer.Option(None, "--db", help="Database URL (overrides the config)."),
) -> None:
    """Write the outcome report (report.html; claims.csv, actors.csv, stages.csv) into a folder."""
    from sqlalchemy.orm import Session

    from flows.resources import engine_for
    from pantau.settings import load_settings
    from storage.outcomes_query import load_outcome_records

    wanted = [f.strip() for f in formats.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise UnusableInputError(f"--format {formats!r}: use html, csv or html,csv")
    settings = load_settings(config, **({"database_url": db} if db else {}))
    region: PantauConfig = settings
    if stage and stage not in {s.name for s in region.stages}:
        raise UnusableInputError(f"--stage {stage!r}: configured stages are "
                                 f"{', '.join(s.name for s in region.stages)}")
    start, end = parse_since(since), _until(until)
    with Session(engine_for(settings.database_url)) as session:
        claims, answers = load_outcome_records(session, stage=stage, since=start, until=end,
                                               confirmed_only=confirmed_only)
    parts = [f"stage {stage}" if stage else "all stages"]
    if start:
        parts.append(f"first seen from {start:%Y-%m-%d %H:%M} UTC")
    if end:
        parts.append(f"until {end:%Y-%m-%d %H:%M} UTC")
    if confirmed_only:
        parts.append("confirmed links only")
    data = build_report(claims, answers, region, filters=", ".join(parts))
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if "html" in wanted:
        page = out / "report.html"
        page.write_text(render_html(data), encoding="utf-8")
        written.append(page)
    if "csv" in wanted:
        written += write_csv(data, out)
    t = data.total
    typer.echo(f"{t.claims} claims, {t.answered} answered ({_share(t.answered_share) or '-'}), "
               f"median {_hours(t.median_hours) or '-'} h to the first counter-narrative, "
               f"{t.kept_spreading} kept spreading after it.")
    for path in written:
        typer.echo(f"wrote {path}")
