"""The kecamatan map's geometry: district polygons from a user-supplied GeoJSON, or schematic tiles.

:func:`parse_geojson` turns a FeatureCollection of Polygon/MultiPolygon features into SVG path data in
an equirectangular projection (longitudes shrunk by the cosine of the middle latitude), thinned to what
a phone can show, and matches each feature's name (``name_property``) to the configured districts and
their variants, case- and space-insensitively. Path data holds only numbers; names are left to the
template, which escapes them. Anything unusable raises :class:`MapDataError` (a ConfigError naming
``map.geojson``). :func:`tiles` places one square per district at its configured ``[row, col]``.
:func:`colour_classes` is the sequential colour scale of the counts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pantau.domain.config import DistrictConfig
from pantau.domain.errors import ConfigError

MAX_GEOJSON_BYTES = 50_000_000
MAX_POINTS = 2_000_000
WIDTH = 1000.0  # the map's viewBox width
MIN_STEP = 1.0  # points closer than this (viewBox units) to the last kept one are dropped
#: no data (a feature that names no configured district): grey, drawn with a dashed outline
NO_DATA = "#c8c8c8"
#: zero, then the sequential classes (ColorBrewer OrRd)
ZERO = "#fff7ec"
SCALE = ("#fdd49e", "#fc8d59", "#d7301f", "#7f0000")


class MapDataError(ConfigError):
    """The configured GeoJSON cannot be drawn (unreadable, not GeoJSON, no polygons, bad coordinates)."""

    def __init__(self, message: str, *, path: str | None = None):
        self.problem = message
        super().__init__(message, field="map.geojson", path=path)


def fold(name: str) -> str:
    return " ".join(str(name).split()).casefold()


def name_index(districts: Sequence[DistrictConfig]) -> dict[str, str]:
    """Folded name or variant -> the configured district name (first district wins a shared spelling)."""
    index: dict[str, str] = {}
    for district in districts:
        for spelling in [district.name, *district.variants]:
            index.setdefault(fold(spelling), district.name)
    return index


@dataclass(frozen=True, slots=True)
class MapShape:
    """One feature: its name in the file, the district it matched (None: no data), its SVG path data,
    and where its label goes."""

    name: str
    district: str | None
    path: str
    label_x: float
    label_y: float


@dataclass(frozen=True, slots=True)
class DistrictMap:
    width: float
    height: float
    shapes: list[MapShape]
    unmatched: list[str]  # feature names that match no configured district
    missing: list[str]  # configured districts without a feature
    skipped: int  # features without a Polygon/MultiPolygon geometry


def _point(value: Any, where: str) -> tuple[float, float]:
    if (
        not isinstance(value, list)
        or len(value) < 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value[:2])
    ):
        raise MapDataError(f"{where}: a position must be [longitude, latitude]")
    lon, lat = float(value[0]), float(value[1])
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise MapDataError(f"{where}: position {lon}, {lat} is outside -180..180, -90..90")
    return lon, lat


def _polygons(geometry: Any, where: str) -> list[list[list[tuple[float, float]]]] | None:
    """The polygons (lists of rings) of a Polygon/MultiPolygon; None for any other geometry."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return None
    coordinates = geometry.get("coordinates")
    polygons = [coordinates] if geometry["type"] == "Polygon" else coordinates
    if not isinstance(polygons, list):
        raise MapDataError(f"{where}: coordinates must be a list")
    out = []
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise MapDataError(f"{where}: a polygon must be a list of rings")
        rings = []
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 3:
                raise MapDataError(f"{where}: a ring needs at least 3 positions")
            rings.append([_point(p, where) for p in ring])
        out.append(rings)
    return out


def _features(data: Any) -> list[Any]:
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features")
        if isinstance(features, list):
            return features
    if isinstance(data, dict) and data.get("type") == "Feature":
        return [data]
    raise MapDataError("not a GeoJSON FeatureCollection (type and features)")


def _ring_area_centroid(ring: list[tuple[float, float]]) -> tuple[float, float, float]:
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=False):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-12:
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        return 0.0, (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    return abs(area) / 2, cx / (3 * area), cy / (3 * area)


def _thin(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    kept = [ring[0]]
    for x, y in ring[1:]:
        if math.hypot(x - kept[-1][0], y - kept[-1][1]) >= MIN_STEP:
            kept.append((x, y))
    return kept if len(kept) >= 3 else ring[:3]


def parse_geojson(
    data: bytes | str, *, name_property: str, districts: Sequence[DistrictConfig], path: str | None = None
) -> DistrictMap:
    """The drawable map of a GeoJSON document; raises MapDataError (with ``path``) when it is unusable."""
    try:
        try:
            document = json.loads(data, parse_constant=lambda name: float("nan"))
        except (ValueError, RecursionError) as exc:
            raise MapDataError(f"not valid JSON ({exc.__class__.__name__}: {str(exc)[:120]})") from None
        features = _features(document)
        index = name_index(districts)
        found: list[tuple[str, str | None, list[list[list[tuple[float, float]]]]]] = []
        skipped = points = 0
        for i, feature in enumerate(features):
            where = f"features[{i}]"
            if not isinstance(feature, dict):
                raise MapDataError(f"{where}: a feature must be an object")
            polygons = _polygons(feature.get("geometry"), where)
            if polygons is None:
                skipped += 1
                continue
            points += sum(len(ring) for polygon in polygons for ring in polygon)
            if points > MAX_POINTS:
                raise MapDataError(f"more than {MAX_POINTS} positions; simplify the file first")
            properties = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
            raw = properties.get(name_property)
            name = " ".join(str(raw).split()) if isinstance(raw, str | int) and str(raw).strip() else where
            found.append((name, index.get(fold(name)), polygons))
        if not found:
            raise MapDataError("no Polygon or MultiPolygon feature to draw")
    except MapDataError as exc:
        raise MapDataError(exc.problem, path=path) from None
    return _project(found, districts, skipped)


def _project(
    found: list[tuple[str, str | None, list[list[list[tuple[float, float]]]]]],
    districts: Sequence[DistrictConfig],
    skipped: int,
) -> DistrictMap:
    lons = [p[0] for _, _, polys in found for poly in polys for ring in poly for p in ring]
    lats = [p[1] for _, _, polys in found for poly in polys for ring in poly for p in ring]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    shrink = math.cos(math.radians((south + north) / 2))
    span_x = max((east - west) * shrink, 1e-9)
    span_y = max(north - south, 1e-9)
    scale = WIDTH / span_x
    height = min(span_y * scale, WIDTH * 2)
    scale_y = height / span_y

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return (lon - west) * shrink * scale, (north - lat) * scale_y

    shapes = []
    for name, district, polygons in found:
        parts: list[str] = []
        best = (-1.0, 0.0, 0.0)
        for polygon in polygons:
            for r, ring in enumerate(polygon):
                projected = _thin([xy(*p) for p in ring])
                parts.append("M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in projected) + "Z")
                if r == 0:
                    best = max(best, _ring_area_centroid(projected))
        shapes.append(MapShape(name, district, "".join(parts), round(best[1], 1), round(best[2], 1)))
    matched = {s.district for s in shapes if s.district}
    return DistrictMap(
        width=WIDTH,
        height=round(height, 1),
        shapes=shapes,
        unmatched=sorted({s.name for s in shapes if s.district is None}),
        missing=[d.name for d in districts if d.name not in matched],
        skipped=skipped,
    )


@dataclass(frozen=True, slots=True)
class Tile:
    district: str
    row: int
    col: int


def tiles(districts: Sequence[DistrictConfig], positions: Mapping[str, tuple[int, int]]) -> list[Tile]:
    """One tile per configured district: at its configured position (names matched case- and
    space-insensitively), else (no position given) in rows of four after the placed ones, in config order."""
    index = name_index(districts)
    placed = {index[fold(name)]: pos for name, pos in positions.items() if fold(name) in index}
    out = [Tile(d.name, *placed[d.name]) for d in districts if d.name in placed]
    below = max((t.row for t in out), default=-1) + 1
    rest = [d.name for d in districts if d.name not in placed]
    out += [Tile(name, below + i // 4, i % 4) for i, name in enumerate(rest)]
    return out


@dataclass(frozen=True, slots=True)
class ColourClass:
    low: int
    high: int
    fill: str
    dark: bool  # the fill is dark: write on it in white


def colour_classes(counts: Iterable[int]) -> list[ColourClass]:
    """Zero, then up to four classes of equal width from 1 to the largest count."""
    peak = max(counts, default=0)
    classes = [ColourClass(0, 0, ZERO, False)]
    if peak <= 0:
        return classes
    steps = min(len(SCALE), peak)
    bounds = [math.ceil(peak * (i + 1) / steps) for i in range(steps)]
    low = 1
    for i, high in enumerate(bounds):
        fill = SCALE[i if steps == len(SCALE) else round(i * (len(SCALE) - 1) / max(steps - 1, 1))]
        classes.append(ColourClass(low, high, fill, fill in SCALE[2:]))
        low = high + 1
    return classes


def colour_of(count: int | None, classes: Sequence[ColourClass]) -> ColourClass | None:
    """The class of ``count``; None for no data."""
    if count is None:
        return None
    return next((c for c in classes if c.low <= count <= c.high), classes[-1])
