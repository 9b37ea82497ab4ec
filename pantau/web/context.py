"""What every page handler shares: the database, the templates (autoescaped), the clock, the labels.

Database work is synchronous SQLAlchemy; :meth:`WebContext.run` moves it to a worker thread so the
event loop keeps serving other requests, and wraps it in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import jinja2
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from pantau.web import csrf, i18n

T = TypeVar("T")
TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    env.globals.update(i18n=i18n, label=i18n.label)
    return env


@dataclass
class WebContext:
    """Shared state of one app instance (kept in ``app.state.ctx``)."""

    engine: Engine
    stage_labels: Mapping[str, str] = field(default_factory=dict)
    stage_order: list[str] = field(default_factory=list)
    districts: list[str] = field(default_factory=list)
    timezone: str = "Asia/Jakarta"
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    sessions: sessionmaker[Session] = field(init=False)
    templates: Jinja2Templates = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        env = _environment()
        env.filters["local"] = self.local_time
        env.globals["stage_label"] = self.stage_label
        self.templates = Jinja2Templates(env=env)

    async def run(self, work: Callable[[Session], T]) -> T:
        """``work(session)`` in a worker thread, in one transaction (committed if it returns)."""
        def call() -> T:
            with self.sessions() as session, session.begin():
                return work(session)
        return await run_in_threadpool(call)

    def stage_label(self, stage: str | None) -> str:
        if stage is None:
            return "-"
        return self.stage_labels.get(stage) or i18n.label(i18n.STAGES, stage)

    def local_time(self, value: datetime | None, fmt: str = "%d-%m-%Y %H:%M") -> str:
        """A UTC time shown in the election's local time zone (WIB for Sampang)."""
        if value is None:
            return "-"
        return value.astimezone(ZoneInfo(self.timezone)).strftime(fmt)

    def render(self, request: Request, name: str, context: dict[str, Any] | None = None, *,
               status_code: int = 200, headers: Mapping[str, str] | None = None) -> HTMLResponse:
        """A page with the signed-in account, the CSRF token and the labels in its context."""
        token = csrf.csrf_token(request) if "session" in request.scope else ""  # 500 pages run outside it
        base = {"account": getattr(request.state, "account", None), "csrf_token": token,
                "stage_order": self.stage_order, "districts": self.districts}
        return self.templates.TemplateResponse(request, name, base | (context or {}),
                                               status_code=status_code, headers=headers)


def ctx_of(request: Request) -> WebContext:
    return request.app.state.ctx  # type: ignore[no-any-return]
