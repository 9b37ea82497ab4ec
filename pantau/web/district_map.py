"""The kecamatan map (``/map``): each configured district coloured by its open high/critical alerts, on
the polygons of the GeoJSON named in the config (``map.geojson``) or, without one, on a schematic tile
map (``map.tiles``). Each district links to the alerts list filtered by it.

The GeoJSON is read once, when the app is made (:func:`load`); a file that cannot be used leaves the
app running, and the page says why and shows the tile map instead. The SVG is written by the template
(``map.html``): path data holds only numbers, names go through autoescape.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pantau.domain import district_map as geo
from pantau.domain.config import PantauConfig
from pantau.domain.signals import SIGNALS
from pantau.web import params
from pantau.web.analyst import ANALYST_ROLES, filter_query, parse_filters
from pantau.web.auth import protected
from pantau.web.context import ctx_of
from storage import alert_search as search
from storage.district_map import open_severe_counts
from storage.models import ALERT_KINDS

log = logging.getLogger(__name__)
MAP_FILTER_KEYS = ("signal", "stage", "source", "actor", "kind", "since", "until", "q")
TILE = 100  # viewBox units per tile


@dataclass
class MapSetup:
    """What ``/map`` draws: the GeoJSON map (None: tiles), the tiles, and why a GeoJSON was not usable."""

    shapes: geo.DistrictMap | None = None
    tiles: list[geo.Tile] = field(default_factory=list)
    error: str | None = None
    source: str | None = None


def load(config: PantauConfig | None) -> MapSetup:
    """The map of ``config`` (an unusable GeoJSON is logged and reported on the page, not raised)."""
    if config is None:
        return MapSetup()
    setup = MapSetup(tiles=geo.tiles(config.districts, config.map.tiles))
    if config.map.geojson:
        path = Path(config.map.geojson).expanduser()
        setup.source = path.name
        try:
            setup.shapes = read_geojson(path, config)
        except geo.MapDataError as exc:
            setup.error = exc.problem
            log.warning("the kecamatan map falls back to tiles: %s", exc)
    return setup


def read_geojson(path: Path, config: PantauConfig) -> geo.DistrictMap:
    """The GeoJSON file drawn for ``config``'s districts; MapDataError when it cannot be."""
    try:
        with path.open("rb") as fh:
            data = fh.read(geo.MAX_GEOJSON_BYTES + 1)
    except OSError as exc:
        raise geo.MapDataError(f"cannot read the file ({exc.strerror or exc})", path=str(path)) from None
    if len(data) > geo.MAX_GEOJSON_BYTES:
        raise geo.MapDataError(f"larger than {geo.MAX_GEOJSON_BYTES} bytes", path=str(path))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise geo.MapDataError("not UTF-8 text", path=str(path)) from None
    return geo.parse_geojson(
        text, name_property=config.map.name_property, districts=config.districts, path=str(path)
    )


def _tile_layout(tiles: list[geo.Tile]) -> tuple[int, int]:
    return (
        (max((t.col for t in tiles), default=0) + 1) * TILE,
        (max((t.row for t in tiles), default=0) + 1) * TILE,
    )


_VOWELS = set("aeiouèéêâô")
_DIGRAPHS = {"ng", "ny", "kh", "sy"}
LONG_WORD = 8  # longer words are hyphenated on a tile (60 px wide on a phone)


def _hyphen_point(word: str) -> int | None:
    """Where to hyphenate a long word, nearest its middle: between two vowels, between two consonants
    (not a digraph such as 'ng'), or before a consonant that opens a syllable (Tambe-langan)."""
    low = word.lower()
    points = []
    for i in range(2, len(low) - 2):
        a, b, c = low[i - 1], low[i], low[i + 1]
        both_vowels = a in _VOWELS and b in _VOWELS
        consonants = a not in _VOWELS and b not in _VOWELS and a + b not in _DIGRAPHS
        syllable = a in _VOWELS and b not in _VOWELS and c in _VOWELS
        if both_vowels or consonants or syllable:
            points.append(i)
    return min(points, key=lambda i: abs(i - len(low) / 2)) if points else None


def _name_lines(name: str) -> list[str]:
    """A district name on at most two lines: split at the space nearest the middle, else a long word
    hyphenated."""
    words = name.split()
    if len(words) >= 2:
        cut = min(
            range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(" ".join(words[i:])))
        )
        return [" ".join(words[:cut]), " ".join(words[cut:])]
    point = _hyphen_point(name) if len(name) > LONG_WORD else None
    return [name] if point is None else [name[:point] + "-", name[point:]]


@params.checked
async def map_page(request: Request) -> Response:
    ctx = ctx_of(request)
    filters = parse_filters(request.query_params, ctx.timezone)
    setup: MapSetup = request.app.state.district_map

    def work(session: Session) -> tuple[dict[str | None, int], dict[str, list[str]]]:
        return open_severe_counts(session, filters), search.filter_choices(session)

    counts, choices = await ctx.run(work)
    configured = set(ctx.districts)
    classes = geo.colour_classes(counts.get(d, 0) for d in configured)
    carried = {k: v for k, v in filter_query(request.query_params).items() if k in MAP_FILTER_KEYS}

    def link(district: str) -> str:
        return "/alerts?" + urlencode({**carried, "district": district})

    def colour(district: str | None) -> geo.ColourClass | None:
        return geo.colour_of(None if district is None else counts.get(district, 0), classes)

    width, height = _tile_layout(setup.tiles)
    return ctx.render(
        request,
        "map.html",
        {
            "setup": setup,
            "counts": counts,
            "classes": classes,
            "colour": colour,
            "link": link,
            "name_lines": _name_lines,
            "tile": TILE,
            "tiles_width": width,
            "tiles_height": height,
            "elsewhere": sorted((d or "-", n) for d, n in counts.items() if d not in configured),
            "no_data": geo.NO_DATA,
            "filters": carried,
            "choices": choices,
            "signals": SIGNALS,
            "kinds": ALERT_KINDS,
        },
    )


ROUTES: list[Route] = [protected("/map", map_page, ANALYST_ROLES)]
