"""What every page handler shares: the database, the templates (autoescaped), the clock, the labels.

Database work is synchronous SQLAlchemy; :meth:`WebContext.run` moves it to a worker thread so the
event loop keeps serving other requests, and wraps it in one transaction. Every page of a reviewer or
admin also shows how many escalations to their organisation are open, and every page of an analyst or
admin how many matches of their saved searches they have not opened yet (one indexed count each).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import anyio
import jinja2
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from pantau.domain.config import ActorConfig, NotificationsConfig
from pantau.web import csrf, i18n
from storage import escalations, saved_searches

T = TypeVar("T")
#: Roles that work the queue, and so see the count of escalations to their organisation.
QUEUE_ROLES = ("admin", "reviewer")
#: Roles that save searches (every role: the item search is open to all), and so see the count of their
#: unseen matches.
SAVED_SEARCH_ROLES = ("admin", "reviewer", "analyst")
TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=jinja2.StrictUndefined
    )
    env.globals.update(i18n=i18n, label=i18n.label)
    return env


#: a design choice: how long a page may wait for the database before it answers 503
DB_TIMEOUT_S = 15.0
RETRY_AFTER_S = 5
_BUSY_STATES = {"55P03", "57014", "40P01"}  # PostgreSQL: lock not available, query cancelled, deadlock


class DatabaseBusy(Exception):
    """The database is locked or too slow to answer now; the request may be repeated (HTTP 503)."""


def _is_busy(exc: OperationalError) -> bool:
    """SQLite's 'database is locked' / 'busy', or a PostgreSQL lock or timeout error."""
    text = str(exc.orig).lower()
    return (
        "database is locked" in text
        or "database is busy" in text
        or (getattr(exc.orig, "sqlstate", None) in _BUSY_STATES)
    )


@dataclass
class WebContext:
    """Shared state of one app instance (kept in ``app.state.ctx``)."""

    engine: Engine
    stage_labels: Mapping[str, str] = field(default_factory=dict)
    stage_order: list[str] = field(default_factory=list)
    districts: list[str] = field(default_factory=list)
    timezone: str = "Asia/Jakarta"
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    db_timeout_s: float = DB_TIMEOUT_S
    #: the notifications config: where a new escalation's notification is queued (None: nowhere)
    notifications: NotificationsConfig | None = None
    #: the configured actors: an answer from a source an actor owns is credited to that actor
    actors: list[ActorConfig] = field(default_factory=list)
    sessions: sessionmaker[Session] = field(init=False)
    templates: Jinja2Templates = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        env = _environment()
        env.filters["local"] = self.local_time
        env.globals["stage_label"] = self.stage_label
        env.globals["age"] = self.age
        self.templates = Jinja2Templates(env=env)

    async def run(self, work: Callable[[Session], T]) -> T:
        """``work(session)`` in a worker thread, in one transaction (committed if it returns). Past
        ``db_timeout_s``, or when the database reports it is locked, raises :class:`DatabaseBusy` (the
        app answers 503 with Retry-After); an abandoned transaction still commits or rolls back on its
        own, so a page that said 503 may have saved: the forms' actions are safe to repeat."""

        def call() -> T:
            with self.sessions() as session, session.begin():
                return work(session)

        try:
            with anyio.fail_after(self.db_timeout_s):
                return await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
        except TimeoutError as exc:
            raise DatabaseBusy() from exc
        except OperationalError as exc:
            if _is_busy(exc):
                raise DatabaseBusy() from exc
            raise

    def stage_label(self, stage: str | None) -> str:
        if stage is None:
            return "-"
        return self.stage_labels.get(stage) or i18n.label(i18n.STAGES, stage)

    def local_time(self, value: datetime | None, fmt: str = "%d-%m-%Y %H:%M") -> str:
        """A UTC time shown in the election's local time zone (WIB for Sampang)."""
        if value is None:
            return "-"
        return value.astimezone(ZoneInfo(self.timezone)).strftime(fmt)

    def age(self, since: datetime | None) -> str:
        """How long ago ``since`` was, in words ("5 menit", "3 jam", "2 hari")."""
        if since is None:
            return "-"
        seconds = max((self.now() - since).total_seconds(), 0)
        if seconds < 3600:
            return f"{int(seconds // 60)} menit"
        if seconds < 2 * 86400:
            return f"{int(seconds // 3600)} jam"
        return f"{int(seconds // 86400)} hari"

    def escalation_channels(self, organisation: str) -> list[str]:
        """The outbox channels that carry escalations to ``organisation`` (none without a config)."""
        return self.notifications.escalation_channels(organisation) if self.notifications else []

    @staticmethod
    def open_escalations(session: Session, account: Any) -> int | None:
        """The open escalations to the account's organisation, for the page header (None: not shown).
        The page guard reads it in the same worker-thread transaction as the account."""
        if account is None or getattr(account, "role", None) not in QUEUE_ROLES:
            return None
        return escalations.open_count(session, account.organisation_id)

    @staticmethod
    def saved_unseen(session: Session, account: Any) -> int | None:
        """The account's unseen saved search matches, for the page header (None: not shown)."""
        if account is None or getattr(account, "role", None) not in SAVED_SEARCH_ROLES:
            return None
        return saved_searches.unseen_count(session, account.id)

    def render(
        self,
        request: Request,
        name: str,
        context: dict[str, Any] | None = None,
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        """A page with the signed-in account, the CSRF token and the labels in its context."""
        token = csrf.csrf_token(request) if "session" in request.scope else ""  # 500 pages run outside it
        account = getattr(request.state, "account", None)
        base = {
            "account": account,
            "csrf_token": token,
            "stage_order": self.stage_order,
            "districts": self.districts,
            "open_escalations": getattr(request.state, "open_escalations", None),
            "saved_unseen": getattr(request.state, "saved_unseen", None),
        }
        return self.templates.TemplateResponse(
            request, name, base | (context or {}), status_code=status_code, headers=headers
        )


def ctx_of(request: Request) -> WebContext:
    return request.app.state.ctx  # type: ignore[no-any-return]
