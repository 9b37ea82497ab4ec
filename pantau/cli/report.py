"""``pantau report``: the outcome report per election stage, as printable HTML (inline SVG charts) and CSV.

For a forum meeting without the tool: which claims were seen, which were answered, by whom, on what
basis and how fast, and whether they kept spreading. The page is in Bahasa Indonesia, rendered from the
web app's templates (``report/report.html``, sharing the outcomes page's tables) with autoescape and
the labels of the message catalogue (``pantau.messages``); charts carry only counts, dates and
configured names, rendered by matplotlib as SVG with math text off. The CSVs go through
``pantau.domain.csvsafe`` (UTF-8 with BOM, no formula cells). The command's own output is English,
like the rest of the CLI.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import typer

from pantau import messages
from pantau.cli.alerts import parse_since
from pantau.cli.common import handle_errors
from pantau.domain.config import PantauConfig
from pantau.domain.csvsafe import SafeWriter
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
from pantau.reporting.basis import actor_bases, answer_basis, first_answers

FORMATS = ("html", "csv")


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
    bases: dict[int, str]  # claim id -> its first answer's basis, in words
    actor_bases: dict[tuple[str, str], str]  # (actor, category) -> the bases of its answers
    confirmed_by: dict[int, str]  # claim id -> who confirmed its first answer (CSV)


def build_report(
    claim_records,
    answers,
    region: PantauConfig,
    *,
    filters: str = "semua tahapan",
    now: datetime | None = None,
) -> ReportData:
    """The report's figures from plain outcome records (see ``storage.outcomes_query``)."""
    answers = list(answers)
    outcomes = claim_outcomes(claim_records, answers)
    firsts = first_answers(answers)
    answered = [o for o in outcomes if o.answered and o.claim_id in firsts]
    return ReportData(
        region=region.region,
        timezone=region.timezone,
        stage_labels={s.name: s.label for s in region.stages if s.label},
        filters=filters,
        generated_at=now or datetime.now(UTC),
        claims=outcomes,
        stages=by_stage(outcomes, [s.name for s in region.stages]),
        total=group_outcome("all", outcomes),
        actors=by_actor(outcomes, answers),
        categories=by_category(outcomes),
        bases={o.claim_id: answer_basis(firsts[o.claim_id]) for o in answered},
        actor_bases=actor_bases(outcomes, answers),
        confirmed_by={o.claim_id: firsts[o.claim_id].confirmed_by or "" for o in answered},
    )


def _hours(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


# --- CSV ------------------------------------------------------------------------------------------


def _csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    """One CSV file through the shared helper: UTF-8 with BOM, formula cells neutralised."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = SafeWriter(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_csv(data: ReportData, out_dir: Path) -> list[Path]:
    """claims.csv (one row per claim), actors.csv (per actor) and stages.csv (per stage and total).

    Columns keep their English names and stored codes (for partners' scripts), with the labels next to
    them where a person reads them (stage, category, attribution basis)."""
    claims = _csv(
        out_dir / "claims.csv",
        [
            "claim_id",
            "stage",
            "stage_label",
            "first_seen_utc",
            "items",
            "sources",
            "districts",
            "answered",
            "first_answer_utc",
            "first_answer_actor",
            "first_answer_category",
            "first_answer_attribution",
            "first_answer_confirmed_by",
            "first_answer_basis",
            "hours_to_first_answer",
            "answering_actors",
            "items_after_answer",
            "kept_spreading",
            "canonical_text",
        ],
        [
            [
                c.claim_id,
                c.stage or "",
                messages.stage_label(c.stage, data.stage_labels) if c.stage else "",
                c.first_seen_at.isoformat(),
                c.items,
                c.sources,
                "; ".join(c.districts),
                int(c.answered),
                c.first_answer_at.isoformat() if c.first_answer_at else "",
                c.first_answer_actor or "",
                c.first_answer_category or "",
                c.first_answer_attribution or "",
                data.confirmed_by.get(c.claim_id, ""),
                data.bases.get(c.claim_id, ""),
                "" if c.hours_to_first_answer is None else f"{c.hours_to_first_answer:.2f}",
                "; ".join(c.answering_actors),
                c.items_after_answer,
                int(c.kept_spreading),
                " ".join(c.canonical_text.split()),
            ]
            for c in data.claims
        ],
    )
    actors = _csv(
        out_dir / "actors.csv",
        [
            "actor",
            "category",
            "category_label",
            "basis",
            "claims_answered",
            "first_answers",
            "median_hours_to_answer",
        ],
        [
            [
                a.actor,
                a.category,
                messages.label("actor_category", a.category),
                data.actor_bases.get((a.actor, a.category), ""),
                a.claims_answered,
                a.first_answers,
                "" if a.median_hours is None else f"{a.median_hours:.2f}",
            ]
            for a in data.actors
        ],
    )
    stages = _csv(
        out_dir / "stages.csv",
        [
            "stage",
            "stage_label",
            "claims",
            "answered",
            "answered_share",
            "median_hours_to_first_answer",
            "kept_spreading",
        ],
        [
            [
                g.name,
                "Semua tahapan" if g is data.total else messages.stage_label(g.name, data.stage_labels),
                g.claims,
                g.answered,
                "" if g.answered_share is None else f"{g.answered_share:.3f}",
                "" if g.median_hours is None else f"{g.median_hours:.2f}",
                g.kept_spreading,
            ]
            for g in [*data.stages, data.total]
        ],
    )
    return [claims, actors, stages]


# --- charts (inline SVG) --------------------------------------------------------------------------


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _bar_chart(
    title: str,
    labels: list,
    values: list[int],
    *,
    xlabel: str = "",
    ylabel: str = "",
    horizontal: bool = False,
) -> str:
    """A bar chart; ``labels`` may be dates (then on a true time axis, so gaps between days show)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import dates as mdates
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    with matplotlib.rc_context(
        {"svg.fonttype": "none", "svg.hashsalt": "pantau", "text.parse_math": False, "font.size": 9}
    ):
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
    bins = [
        ("< 1 jam", 0, 1),
        ("1–6 jam", 1, 6),
        ("6–24 jam", 6, 24),
        ("1–3 hari", 24, 72),
        ("> 3 hari", 72, None),
    ]
    hours = [c.hours_to_first_answer for c in data.claims if c.hours_to_first_answer is not None]
    debunk = [sum(1 for h in hours if lo <= h and (hi is None or h < hi)) for _, lo, hi in bins]
    districts = Counter(d for c in data.claims for d in c.districts).most_common(14)
    return {
        "claims_over_time": _bar_chart(
            "Klaim baru per hari (kemunculan pertama)", days, [per_day[d] for d in days], ylabel="klaim"
        ),
        "time_to_debunk": _bar_chart(
            "Waktu dari kemunculan pertama sampai kontra-narasi pertama",
            [b[0] for b in bins],
            debunk,
            ylabel="klaim dijawab",
        ),
        "actors": _bar_chart(
            "Klaim dijawab, per kategori aktor",
            [messages.label("actor_category", c) for c in ACTOR_CATEGORIES],
            [data.categories[c] for c in ACTOR_CATEGORIES],
            xlabel="klaim dijawab",
            horizontal=True,
        ),
        "districts": _bar_chart(
            "Klaim per kecamatan yang disebut",
            [d for d, _ in districts],
            [n for _, n in districts],
            xlabel="klaim",
            horizontal=True,
        ),
    }


# --- HTML -----------------------------------------------------------------------------------------


def render_html(data: ReportData) -> str:
    """A self-contained, printable HTML report in Bahasa Indonesia (``report/report.html``)."""
    from pantau.reporting.render import render_report

    return render_report(data, charts(data) if data.claims else {})


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
    confirmed_only: bool = typer.Option(
        False, "--confirmed-only", help="Count only links a reviewer confirmed."
    ),
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
        raise UnusableInputError(
            f"--stage {stage!r}: configured stages are {', '.join(s.name for s in region.stages)}"
        )
    start, end = parse_since(since), _until(until)
    with Session(engine_for(settings.database_url)) as session:
        claims, answers = load_outcome_records(
            session, stage=stage, since=start, until=end, confirmed_only=confirmed_only
        )
    labels = {s.name: s.label for s in region.stages if s.label}
    parts = [f"tahapan {messages.stage_label(stage, labels)}" if stage else "semua tahapan"]
    if start:
        parts.append(f"pertama terlihat sejak {start:%Y-%m-%d %H:%M} UTC")
    if end:
        parts.append(f"sampai {end:%Y-%m-%d %H:%M} UTC")
    if confirmed_only:
        parts.append("hanya tautan yang dikonfirmasi")
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
    typer.echo(
        f"{t.claims} claims, {t.answered} answered ({_share(t.answered_share) or '-'}), "
        f"median {_hours(t.median_hours) or '-'} h to the first counter-narrative, "
        f"{t.kept_spreading} kept spreading after it."
    )
    for path in written:
        typer.echo(f"wrote {path}")
