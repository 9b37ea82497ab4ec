"""The one validated settings object: a YAML config file refined by ``PANTAU_*`` environment variables.

Read in entry points only (CLI, flows), never at import time. Precedence, highest first:
explicit keyword arguments, environment variables (``PANTAU_DATABASE_URL``, ``PANTAU_BATCH_SIZE``, ...),
the config file, the defaults. Without any config file the bundled Sampang demo config is used.

Every enumerated field is checked at load: the schema checks what the domain knows (languages, stage
names, signals, actors, severities); :func:`load_settings` adds what the layers above it register
(source kinds from ``sources``, alert kinds from ``storage``). A bad value is one line naming the field
path and the valid values: ``sources[2].kind: 'rsss' is not one of ..., rss, ... (did you mean 'rss'?)``.
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from pantau.domain.config import ChoiceError, PantauConfig, field_path, not_one_of
from pantau.domain.errors import ConfigError

BUNDLED_PREFIX = "bundled:"
DEFAULT_CONFIG_NAME = "sampang.yaml"
LOCAL_CONFIG_NAME = "pantau.yaml"

# The parsed config file of the load in progress (read by _FileSource below).
_FILE_DATA: ContextVar[dict[str, Any] | None] = ContextVar("pantau_config_file_data", default=None)


def bundled_examples_dir() -> Path:
    """The demo sources and example config: inside the installed wheel, or the repository's examples/."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_bundled" / "examples", here.parent / "examples"):
        if (candidate / DEFAULT_CONFIG_NAME).is_file():
            return candidate
    raise ConfigError("the bundled examples are missing from this installation", field="examples")


class Settings(PantauConfig, BaseSettings):
    """Runtime settings plus the region configuration (see :class:`PantauConfig`)."""

    model_config = SettingsConfigDict(env_prefix="PANTAU_", env_nested_delimiter="__", extra="forbid")

    database_url: str = Field(default="sqlite:///pantau.db", description="SQLAlchemy URL")
    model_dir: Path | None = Field(default=None, description="model artifacts; default: bundled models")
    batch_size: int = Field(default=1000, ge=1, le=100_000, description="items per classification task")
    config_file: Path | None = Field(default=None, description="the file these settings were read from")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _FileSource(settings_cls))

    @property
    def region_config(self) -> PantauConfig:
        """The region part alone, as lower layers take it."""
        return PantauConfig.model_validate(self.model_dump(include=set(PantauConfig.model_fields)))


class _FileSource(PydanticBaseSettingsSource):
    """Supplies the already-parsed config file of the load in progress."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_FILE_DATA.get() or {})


def find_config_file(explicit: Path | str | None = None) -> Path:
    """The config to read: the explicit path, ``$PANTAU_CONFIG``, ``./pantau.yaml``, or the bundled demo."""
    if explicit:
        return Path(explicit)
    if os.environ.get("PANTAU_CONFIG"):
        return Path(os.environ["PANTAU_CONFIG"])
    if Path(LOCAL_CONFIG_NAME).is_file():
        return Path(LOCAL_CONFIG_NAME)
    return bundled_examples_dir() / DEFAULT_CONFIG_NAME


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse a YAML config file into a mapping, with a ConfigError naming the problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("config file not found", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file ({exc})", path=str(path)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"invalid YAML{where}: {problem}", path=str(path)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a mapping of settings", path=str(path))
    return data


def load_settings(config_path: Path | str | None = None, **overrides: Any) -> Settings:
    """Load, validate and resolve settings. Raises :class:`ConfigError` naming the bad field."""
    path = find_config_file(config_path)
    data = read_config_file(path)
    token = _FILE_DATA.set(data)
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        raise _config_error(exc, path) from None
    finally:
        _FILE_DATA.reset(token)
    problems = _registry_problems(settings)
    if problems:
        raise _problems_error(problems, len(problems), path)
    resolved = Settings.model_construct(**{**dict(settings), "config_file": path.resolve()})
    resolved.sources = [
        s.model_copy(update={"location": resolve_location(s.location, path.resolve().parent)})
        for s in settings.sources
    ]
    if settings.map.geojson:  # relative to the config file, as source locations are
        resolved.map = settings.map.model_copy(
            update={"geojson": resolve_location(str(settings.map.geojson), path.resolve().parent)}
        )
    return resolved


def resolve_location(location: str, base_dir: Path) -> str:
    """``bundled:x`` -> the bundled examples; relative paths -> against the config's folder; URLs kept."""
    if location.startswith(BUNDLED_PREFIX):
        return str(bundled_examples_dir() / location[len(BUNDLED_PREFIX) :])
    if "://" in location:
        return location
    p = Path(location).expanduser()
    return str(p if p.is_absolute() else (base_dir / p))


def _registry_problems(settings: Settings) -> list[tuple[str, str]]:
    """(field path, problem) for each value not among the source kinds / alert kinds registered."""
    from sources import SOURCE_KINDS
    from storage.models import ALERT_KINDS

    problems = []
    kinds = sorted(SOURCE_KINDS)
    for i, source in enumerate(settings.sources):
        if source.kind not in SOURCE_KINDS:
            problems.append((field_path(("sources", i, "kind")), not_one_of(source.kind, kinds)))
    for i, kind in enumerate(settings.notifications.kinds or []):
        if kind not in ALERT_KINDS:
            problems.append((field_path(("notifications", "kinds", i)), not_one_of(kind, ALERT_KINDS)))
    return problems


def _config_error(exc: ValidationError, path: Path) -> ConfigError:
    return _problems_error([_problem(err) for err in exc.errors()[:5]], exc.error_count(), path)


def _problem(err: Any) -> tuple[str, str]:
    """(field path, message) of one pydantic error; a choice names its whole path and the choices."""
    loc = tuple(err["loc"])
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, ChoiceError):
        return field_path(loc + cause.where) or "(top level)", cause.problem
    if err["type"] == "literal_error":
        return field_path(loc), not_one_of(err["input"], re.findall(r"'([^']*)'", err["ctx"]["expected"]))
    return field_path(loc) or "(top level)", err["msg"].removeprefix("Value error, ")


def _problems_error(problems: list[tuple[str, str]], total: int, path: Path) -> ConfigError:
    """One line: ``file: field: problem; field: problem (and N more)`` (the first five problems)."""
    shown = problems[:5]
    more = f" (and {total - len(shown)} more)" if total > len(shown) else ""
    err = ConfigError("; ".join(f"{where}: {msg}" for where, msg in shown) + more, path=str(path))
    err.field = shown[0][0] if shown else None
    return err
