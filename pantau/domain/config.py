"""The schema of a Pantau configuration (validated with pydantic); reading files lives in pantau.settings.

Lower layers accept these typed objects as arguments; they never read settings themselves.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo, available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pantau.domain.durations import Duration, parse_duration
from pantau.domain.signals import SIGNALS

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")

# ISO 639-3 codes of the languages the classifiers tell apart (classifiers.language.LANGS), and "und"
# (undetermined). A source's ``language`` must be one of them; leave it out when a source mixes them.
LANGUAGES: tuple[str, ...] = ("ind", "mad", "jav", "eng", "und")
_LANGUAGE_HINTS = {"id": "ind", "in": "ind", "bahasa": "ind", "jv": "jav", "en": "eng"}
# The stage names that apply outside the calendar (see PantauConfig.stage_at).
OUTSIDE_STAGES: tuple[str, ...] = ("pre_election", "post_election")


def field_path(loc: Iterable[str | int]) -> str:
    """A field's path as a user writes it: ``sources[2].kind``, ``alerts.thresholds.hoax``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def not_one_of(
    value: object, choices: Iterable[str], *, none: str = "none", hints: Mapping[str, str] | None = None
) -> str:
    """``'rsss' is not one of rss, social_export (did you mean 'rss'?)``: the choices, and the closest
    one when there is one (a near spelling, a choice the value starts with, or a listed hint)."""
    options = list(choices)
    text = str(value).strip().casefold()
    folded = {o.casefold(): o for o in options}
    close = difflib.get_close_matches(text, list(folded), n=1)
    guess = folded[close[0]] if close else (hints or {}).get(text)
    if guess is None:
        prefixes = [o for o in options if len(o) >= 3 and text.startswith(o.casefold())]
        guess = max(prefixes, key=len) if prefixes else None
    listed = ", ".join(options) if options else f"({none})"
    return f"{value!r} is not one of {listed}" + (f" (did you mean {guess!r}?)" if guess else "")


class ChoiceError(ValueError):
    """A value outside a fixed set of choices. ``where`` is its path below the object being validated
    (``("sources", 2, "actor")``), so the settings loader can name the whole path; :attr:`problem` is
    the message without it."""

    def __init__(
        self,
        value: object,
        choices: Iterable[str],
        where: tuple[str | int, ...] = (),
        *,
        none: str = "none",
        hints: Mapping[str, str] | None = None,
    ):
        self.value = value
        self.choices = tuple(choices)
        self.where = where
        self.problem = not_one_of(value, self.choices, none=none, hints=hints)
        super().__init__(f"{field_path(where)}: {self.problem}" if where else self.problem)


ActorKind = Literal[
    "police",
    "military",
    "election_commission",
    "election_supervisor",
    "religious_org",
    "media",
    "fact_checker",
    "government",
    "civil_society",
    "candidate_team",
    "other",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceConfig(_Strict):
    """One source to collect: its kind (registry name) and where it reads from."""

    name: str = Field(description="unique slug, e.g. 'kabar-sampang-rss'")
    kind: str = Field(description="source kind from the registry, e.g. 'rss', 'social_export'")
    location: str = Field(description="URL or file path; relative paths resolve against the config file")
    actor: str | None = Field(default=None, description="id of the owning actor (see actors)")
    trust: float = Field(default=0.5, ge=0.0, le=1.0, description="0 unknown/low .. 1 verified outlet")
    language: str | None = Field(
        default=None, description="ISO 639-3 code: ind, mad, jav, eng or und; leave out when mixed"
    )
    enabled: bool = True
    options: dict[str, Any] = Field(default_factory=dict, description="kind-specific options")
    silent_after_hours: float | None = Field(
        default=48, gt=0, description="alert when no new item for this long; None disables"
    )

    @field_validator("name")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not _SLUG.match(v):
            raise ValueError("must be a lower-case slug (a-z, 0-9, '-', '_', '.')")
        return v

    @field_validator("language")
    @classmethod
    def _language(cls, v: str | None) -> str | None:
        if v is not None and v not in LANGUAGES:
            raise ChoiceError(v, LANGUAGES, hints=_LANGUAGE_HINTS)
        return v


class DistrictConfig(_Strict):
    """A district (kecamatan) and the spellings under which texts mention it."""

    name: str
    variants: list[str] = Field(default_factory=list)

    def phrases(self) -> list[str]:
        return [self.name, *self.variants] if self.name_is_unambiguous else list(self.variants)

    name_is_unambiguous: bool = Field(
        default=True,
        description="false when the bare name also names something else (e.g. the regency 'Sampang')",
    )


class ActorConfig(_Strict):
    """An organisation that takes part in keeping the election peaceful (or a candidate team)."""

    id: str
    name: str
    kind: ActorKind
    variants: list[str] = Field(default_factory=list)
    placeholder: bool = False
    reference: str | None = Field(default=None, description="public source of the facts given")


class CandidateConfig(_Strict):
    """A candidate pair. Real names must cite a public source (e.g. a KPU decree) in ``reference``."""

    id: str
    name: str
    variants: list[str] = Field(default_factory=list)
    placeholder: bool = False
    reference: str | None = None

    @model_validator(mode="after")
    def _sourced_or_placeholder(self) -> CandidateConfig:
        if not self.placeholder and not self.reference:
            raise ValueError(
                "a real candidate needs a 'reference' (public source); otherwise set placeholder: true"
            )
        return self


class StageConfig(_Strict):
    """One election stage; ``start`` and ``end`` are inclusive local dates."""

    name: str
    label: str | None = None
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> StageConfig:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class HttpConfig(_Strict):
    timeout_seconds: float = Field(default=20.0, gt=0)
    max_bytes: int = Field(default=10_000_000, gt=0)
    user_agent: str = "Pantau/0.1 (+https://github.com/pantau-pemilu/pantau; election monitoring)"
    retries: int = Field(default=2, ge=0, le=10, description="extra attempts after a failed fetch")
    retry_backoff_seconds: float = Field(
        default=2.0, ge=0, le=600, description="first retry delay; each next one is 5x longer"
    )
    fetch_reviewer_links: bool = Field(
        default=True, description="fetch the pages of counter-narratives reviewers give as URLs"
    )
    reviewer_links_private_hosts: bool = Field(
        default=False, description="allow those fetches to loopback/private addresses (tests, intranets)"
    )

    def retry_delays(self) -> list[float]:
        return [self.retry_backoff_seconds * 5**i for i in range(self.retries)]


class SpikeConfig(_Strict):
    """Volume spikes: flagged items per district and signal in a recent window, against a rolling
    baseline of the same district and signal (docs/operations.md)."""

    enabled: bool = True
    window: Duration = Field(default=parse_duration("1h"), description="the recent window counted")
    baseline: Duration = Field(default=parse_duration("7d"), description="the rolling baseline before it")
    min_count: int = Field(default=5, ge=1, description="no spike below this many items in the window")
    ratio: float = Field(default=3.0, gt=1, description="window count / expected count to call a spike")
    z: float = Field(default=3.0, gt=0, description="and at least this Poisson z-score")
    min_history: Duration = Field(
        default=parse_duration("1d"),
        description="no spike is called until the baseline covers this much collecting (a new install, "
        "or a first ingestion of a backlog, has no normal rate yet)",
    )
    min_expected: float = Field(
        default=2.0,
        gt=0,
        description="items expected per window at least, whatever the baseline says "
        "(keeps a district with no history from spiking on a handful)",
    )


class AlertConfig(_Strict):
    """When a flagged item becomes an alert, per signal and optionally per stage; spikes; claim de-dup."""

    thresholds: dict[str, float] = Field(
        default_factory=dict, description="signal -> threshold; overrides the model's own"
    )
    stage_thresholds: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="stage -> signal -> threshold (takes precedence)"
    )
    spikes: SpikeConfig = Field(default_factory=SpikeConfig)
    dedupe_claims: bool = Field(
        default=True, description="items of one claim raise one alert per signal, not one per item"
    )

    @field_validator("thresholds")
    @classmethod
    def _known_signals(cls, v: dict[str, float]) -> dict[str, float]:
        _check_signal_map(v)
        return v

    @field_validator("stage_thresholds")
    @classmethod
    def _known_stage_signals(cls, v: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for stage, m in v.items():
            _check_signal_map(m, (stage,))
        return v


def _unique(names: list[str]) -> list[str]:
    """Non-empty names, first spelling of each (case-insensitive), in order."""
    seen: set[str] = set()
    out = []
    for name in names:
        key = name.strip().casefold()
        if key and key not in seen:
            seen.add(key)
            out.append(name.strip())
    return out


def _check_signal_map(m: dict[str, float], where: tuple[str | int, ...] = ()) -> None:
    for k, t in m.items():
        if k not in SIGNALS:
            raise ChoiceError(k, SIGNALS, (*where, k))
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"threshold for {k} must be within 0..1, got {t}")


class SourcePriorConfig(_Strict):
    """The hoax source prior: bundled credible-source list (classifiers/data/credible_sources.yaml)
    plus entries of your own, and how far each kind of source moves the hoax score (log-odds)."""

    use_bundled: bool = True
    verified_outlets: list[str] = Field(default_factory=list)  # domains or domain/path prefixes
    fact_checkers: list[str] = Field(default_factory=list)
    low_credibility: list[str] = Field(default_factory=list)
    verified_outlet_shift: float = Field(-2.5, le=0)
    fact_checker_shift: float = Field(-4.0, le=0)
    fact_checker_counter_shift: float = Field(1.0, ge=0)
    low_credibility_shift: float = Field(1.0, ge=0)


class ClassifierConfig(_Strict):
    """Options of the signal classifier in the monitoring run (docs/classifiers.md)."""

    second_stage: bool = Field(
        False,
        description="also re-score hoax scores near the threshold with the multilingual-e5 "
        "second stage (needs the 'embeddings' extra and a trained second_stage.skops; "
        "about 15 texts/s for the items it re-scores)",
    )


class MatchingConfig(_Strict):
    """Claim matching in the monitoring run (docs/claims.md): the recency window for fact-checks,
    the 'same claim' threshold (None: the matcher's calibrated default) and the clustering cut."""

    recent_days: int | None = Field(365, ge=1)
    threshold: float | None = Field(None, gt=0, lt=1)
    cluster_threshold: float = Field(0.95, gt=0, lt=1)


class ScheduleConfig(_Strict):
    """How often ``pantau serve`` runs the monitoring flow, by election stage (docs/operations.md)."""

    default_interval: Duration = Field(default=parse_duration("1h"), description="outside listed stages")
    stage_intervals: dict[str, Duration] = Field(
        default_factory=dict, description="stage name (or pre_election/post_election) -> interval"
    )
    host_concurrency: int = Field(default=2, ge=1, le=64, description="concurrent fetches per source host")
    run_timeout: Duration = Field(default=parse_duration("2h"), description="a run taking longer is failed")

    def interval_for(self, stage: str | None):
        """The interval that applies while ``stage`` is current."""
        return self.stage_intervals.get(stage or "", self.default_interval)


def _organisation_names(value: list[str] | None) -> list[str] | None:
    """A channel's ``organisations``: names with spaces collapsed, none empty or repeated."""
    if value is None:
        return None
    names = [" ".join(str(name).split()) for name in value]
    if not names or any(not name for name in names):
        raise ValueError("organisations needs at least one non-empty organisation name (or leave it out)")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"organisations names {', '.join(repeated)} more than once")
    return names


class _Channel(_Strict):
    """What every channel shares: which organisations' escalations it carries (None: every one)."""

    organisations: list[str] | None = Field(
        default=None,
        description="send only escalations to these organisations (web app names); "
        "None: escalations to any organisation. Alerts go to every channel",
    )

    @field_validator("organisations")
    @classmethod
    def _names(cls, v: list[str] | None) -> list[str] | None:
        return _organisation_names(v)

    def routes(self, organisation: str) -> bool:
        """Whether an escalation to ``organisation`` goes to this channel."""
        return self.organisations is None or " ".join(organisation.split()) in self.organisations


def webhook_channel_key(url: str) -> str:
    """The outbox channel key of a webhook URL (a hash, so a secret in the URL is not stored)."""
    return "webhook:" + hashlib.sha256(url.encode()).hexdigest()[:12]


class WebhookConfig(_Channel):
    """An HTTP endpoint that receives batches of alerts as JSON (signed when a secret is set)."""

    url: str
    secret_env: str | None = Field(default=None, description="env var holding the HMAC-SHA256 secret")
    timeout_seconds: float = Field(default=10.0, gt=0)

    @property
    def channel_key(self) -> str:
        return webhook_channel_key(self.url)


class TelegramConfig(_Channel):
    """A Telegram bot that posts alert digests to a chat (the token is read from the environment)."""

    chat_id: str
    token_env: str = "PANTAU_TELEGRAM_BOT_TOKEN"
    api_base: str = "https://api.telegram.org"
    timeout_seconds: float = Field(default=10.0, gt=0)

    @property
    def channel_key(self) -> str:
        return f"telegram:{self.chat_id}"


class NotificationsConfig(_Strict):
    """Which alerts are pushed to partners, where, and how fast (docs/operations.md)."""

    min_severity: Literal["low", "medium", "high", "critical"] = "high"
    kinds: list[str] | None = Field(default=None, description="alert kinds to send; None: all")
    batch_window: Duration = Field(default=parse_duration("1m"), description="alerts gathered per message")
    max_per_minute: int = Field(default=20, ge=1, description="messages per channel per minute")
    max_batch: int = Field(default=20, ge=1, le=100, description="alerts listed in one message at most")
    max_age: Duration = Field(
        default=parse_duration("6h"),
        description="only alerts younger than this are queued, so a new channel gets no old backlog",
    )
    max_attempts: int = Field(default=5, ge=1, le=100, description="send attempts before a delivery fails")
    max_wait: Duration = Field(
        default=parse_duration("2m"),
        description="longest one dispatch waits for the rate limit; the rest goes out next time",
    )
    webhook: WebhookConfig | None = None
    telegram: TelegramConfig | None = None

    def escalation_channels(self, organisation: str) -> list[str]:
        """The outbox keys of the channels that carry escalations to ``organisation``."""
        channels = (self.telegram, self.webhook)
        return [c.channel_key for c in channels if c is not None and c.routes(organisation)]


def _fold(name: str) -> str:
    """A place name compared case- and space-insensitively ('Karang  penang' == 'karang penang')."""
    return " ".join(name.split()).casefold()


class MapConfig(_Strict):
    """The kecamatan map of the web app (``/map``, docs/web.md): district boundaries from a GeoJSON file
    you supply, or, without one, a schematic tile map (one square per district at ``tiles``)."""

    geojson: str | None = Field(
        default=None,
        description="GeoJSON FeatureCollection of the kecamatan polygons; a relative path resolves "
        "against the config file",
    )
    name_property: str = Field(
        default="name", min_length=1, description="feature property with the district name, e.g. NAMOBJ"
    )
    tiles: dict[str, tuple[int, int]] = Field(
        default_factory=dict,
        description="district -> [row, col] of its square on the tile map: schematic, not geographic",
    )

    @field_validator("tiles")
    @classmethod
    def _tile_positions(cls, v: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
        seen: dict[tuple[int, int], str] = {}
        for name, (row, col) in v.items():
            if not (0 <= row < 40 and 0 <= col < 40):
                raise ValueError(f"tile of {name!r}: row and col must be within 0..39")
            if (row, col) in seen:
                raise ValueError(f"{seen[(row, col)]!r} and {name!r} share the tile [{row}, {col}]")
            seen[(row, col)] = name
        return v


class PantauConfig(_Strict):
    """Everything about the monitored region: sources, geography, actors, calendar, alert rules."""

    region: str = "Sampang"
    place_words: list[str] = Field(
        default_factory=list,
        description="other names of the wider region that texts use like the region's own name "
        "(island, province, short forms: 'Madura', 'Jawa Timur')",
    )
    timezone: str = "Asia/Jakarta"
    sources: list[SourceConfig] = Field(default_factory=list)
    districts: list[DistrictConfig] = Field(default_factory=list)
    actors: list[ActorConfig] = Field(default_factory=list)
    candidates: list[CandidateConfig] = Field(default_factory=list)
    stages: list[StageConfig] = Field(default_factory=list)
    alerts: AlertConfig = Field(default_factory=AlertConfig)
    http: HttpConfig = Field(default_factory=HttpConfig)
    source_prior: SourcePriorConfig = Field(default_factory=SourcePriorConfig)
    matching: MatchingConfig = Field(default_factory=MatchingConfig)
    classifier: ClassifierConfig = Field(default_factory=ClassifierConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    notifications: NotificationsConfig = Field(default_factory=NotificationsConfig)
    map: MapConfig = Field(default_factory=MapConfig)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except Exception as exc:  # ZoneInfoNotFoundError, ValueError
            close = difflib.get_close_matches(v, sorted(available_timezones()), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else " (an IANA name such as 'Asia/Jakarta')"
            raise ValueError(f"unknown time zone {v!r}{hint}") from exc
        return v

    @model_validator(mode="after")
    def _consistent(self) -> PantauConfig:
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate source names: {', '.join(dupes)}")
        actor_ids = [a.id for a in self.actors]
        for i, s in enumerate(self.sources):
            if s.actor and s.actor not in actor_ids:
                raise ChoiceError(s.actor, actor_ids, ("sources", i, "actor"), none="no actors declared")
        stages = sorted(self.stages, key=lambda s: s.start)
        for a, b in zip(stages, stages[1:], strict=False):
            if b.start <= a.end:
                raise ValueError(f"stages {a.name!r} and {b.name!r} overlap")
        # without a calendar no stage is ever current, so a stage-keyed setting could never apply
        known = [s.name for s in stages] + list(OUTSIDE_STAGES) if stages else []
        for where, names in (
            (("alerts", "stage_thresholds"), self.alerts.stage_thresholds),
            (("schedule", "stage_intervals"), self.schedule.stage_intervals),
        ):
            for stage in names:
                if stage not in known:
                    raise ChoiceError(stage, known, (*where, stage), none="no stages declared")
        return self

    @model_validator(mode="after")
    def _map_tiles_name_districts(self) -> PantauConfig:
        names = {_fold(n): d.name for d in self.districts for n in [d.name, *d.variants]}
        for name in self.map.tiles:
            if _fold(name) not in names:
                raise ChoiceError(name, [d.name for d in self.districts], ("map", "tiles", name))
        return self

    def region_names(self) -> list[str]:
        """The region as a whole: its name and ``place_words`` (claim matching weighs them less)."""
        return _unique([self.region, *self.place_words])

    def place_names(self) -> list[str]:
        """Every place name of the region: :meth:`region_names` plus each district's name and
        variants (the rules' place context, e.g. a banishment threat naming the village)."""
        return _unique([*self.region_names(), *(p for d in self.districts for p in [d.name, *d.variants])])

    def stage_at(self, when: datetime | None) -> str | None:
        """The stage whose local-date range holds ``when``; 'pre_election'/'post_election' outside.

        Naive datetimes are taken as UTC. Returns None when there is no calendar or no time.
        """
        if when is None or not self.stages:
            return None

        aware = when if when.tzinfo else when.replace(tzinfo=UTC)
        local = aware.astimezone(ZoneInfo(self.timezone)).date()
        ordered = sorted(self.stages, key=lambda s: s.start)
        for s in ordered:
            if s.start <= local <= s.end:
                return s.name
        if local < ordered[0].start:
            return "pre_election"
        if local > ordered[-1].end:
            return "post_election"
        previous = [s for s in ordered if s.end < local]
        return previous[-1].name  # a gap: the last stage that ended is still the context

    def stage_start(self, name: str) -> datetime | None:
        for s in self.stages:
            if s.name == name:
                return datetime.combine(s.start, time.min, ZoneInfo(self.timezone))
        return None
