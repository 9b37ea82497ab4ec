"""The outcome report as HTML, from the web app's templates (``report/report.html``, which shares the
outcomes page's tables in ``_outcomes.html``), autoescaped, with the labels of the message catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup

from pantau import messages
from pantau.web import i18n

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "web" / "templates"


def local_time(moment: datetime | None, tz: str) -> str:
    """'2024-11-25 10:00 WIB' in the election's time zone; '' for None."""
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(tz))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def environment(timezone: str, stage_labels: Mapping[str, str]) -> jinja2.Environment:
    """The report's template environment: the web's templates and globals, the report's time format."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=jinja2.StrictUndefined
    )
    env.globals.update(
        i18n=i18n, label=i18n.label, stage_label=lambda stage: messages.stage_label(stage, stage_labels)
    )
    env.filters["local"] = lambda moment: local_time(moment, timezone)
    env.filters["capitalize_first"] = lambda text: text[:1].upper() + text[1:]
    return env


def render_report(data: Any, charts: Mapping[str, str]) -> str:
    """The report page for ``data`` (``pantau.cli.report.ReportData``). ``charts`` are SVG documents
    matplotlib made from counts, dates and configured names: the only markup not escaped."""
    env = environment(data.timezone, data.stage_labels)
    return env.get_template("report/report.html").render(
        data=data, charts={name: Markup(svg) for name, svg in charts.items()}
    )
