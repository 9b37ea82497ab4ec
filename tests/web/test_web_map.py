"""The kecamatan map (issue 18): the tile map of the bundled config, a GeoJSON map from a synthetic fixture
(names matched case/space-insensitively and through variants, a MultiPolygon, an unmatched feature drawn
grey and listed), an unusable GeoJSON reported on the page (never a 500), colours by open high/critical
alerts, links to the filtered alerts list, analysts only."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from webfixtures import NOW, SECRET, login, region_config

from pantau.domain import district_map as geo
from pantau.domain.config import MapConfig, PantauConfig
from pantau.web.app import create_app

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "map" / "kecamatan_test.geojson"


def _client(engine, config: PantauConfig) -> TestClient:
    app = create_app(engine, secret_key=SECRET, config=config, now=lambda: NOW + timedelta(hours=1))
    return login(TestClient(app), "analis_bawaslu")


def _with_map(**fields) -> PantauConfig:
    config = region_config()
    return config.model_copy(update={"map": MapConfig(**{"tiles": config.map.tiles, **fields})})


def _fills(html: str, tag: str) -> dict[str, str]:
    return {
        d: f for f, d in re.findall(rf'<{tag}[^>]* fill="(#[0-9a-f]+)"[^>]*data-district="([^"]*)"', html)
    }


def test_the_tile_map_of_the_bundled_config(make_client):
    page = make_client("analis_bawaslu").get("/map")
    assert page.status_code == 200
    assert 'class="tile-map"' in page.text and "skematis" in page.text
    fills = _fills(page.text, "rect")
    assert len(fills) == 14  # Sampang's 14 kecamatan
    # open high alerts in the seed: Omben, Kedungdung, Torjun; Sampang's and Robatal's are medium
    assert fills["Omben"] == fills["Kedungdung"] == fills["Torjun"] != geo.ZERO
    assert fills["Sampang"] == fills["Robatal"] == fills["Banyuates"] == geo.ZERO != geo.NO_DATA
    assert 'href="/alerts?district=Karang+Penang"' in page.text
    assert "tanpa data" in page.text  # the legend tells zero from no data
    assert "<tspan" in page.text and ">Karang</tspan>" in page.text  # long names on two lines


def test_filters_carry_into_the_links_and_the_counts(make_client):
    page = make_client("analis_bawaslu").get("/map?signal=vote_buying&status=resolved")
    fills = _fills(page.text, "rect")
    assert fills["Kedungdung"] != geo.ZERO and fills["Omben"] == geo.ZERO
    assert 'href="/alerts?signal=vote_buying&amp;district=Omben"' in page.text
    assert make_client("analis_bawaslu").get("/map?since=2024-02-30").status_code == 400


def test_only_analysts_and_admins(make_client):
    assert make_client("peninjau_a").get("/map").status_code == 403
    assert make_client("admin_redaksi").get("/map").status_code == 200


def test_a_geojson_map(web_engine, seeded):
    client = _client(web_engine, _with_map(geojson=str(FIXTURE), name_property="NAMOBJ"))
    page = client.get("/map")
    assert page.status_code == 200 and 'class="geo-map"' in page.text
    fills = _fills(page.text, "path")
    assert set(fills) == {"Omben", "Karang Penang", "Torjun", ""}  # "" is the unmatched feature
    assert fills["Omben"] == fills["Torjun"] != geo.ZERO and fills["Karang Penang"] == geo.ZERO
    assert fills[""] == geo.NO_DATA and 'stroke-dasharray="6 4" data-district=""' in page.text
    torjun = re.search(r'<path d="([^"]+)"[^>]*data-district="Torjun"', page.text).group(1)
    assert torjun.count("M") == 2  # the MultiPolygon's two parts
    assert "Desa &lt;b&gt;Fiktif&lt;/b&gt; &amp; Co" in page.text and "<b>Fiktif" not in page.text
    assert "tidak cocok" in page.text and "Banyuates" in page.text.split("tidak ada di GeoJSON")[1]
    assert 'href="/alerts?district=Omben"' in page.text


@pytest.mark.parametrize(
    "content, problem",
    [
        ("{not json", "not valid JSON"),
        ('{"type": "Topology"}', "not a GeoJSON FeatureCollection"),
        ('{"type": "FeatureCollection", "features": []}', "no Polygon or MultiPolygon"),
        (
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},'
            ' "geometry": {"type": "Polygon", "coordinates": [[[1, 2], [3, "x"], [1, 2]]]}}]}',
            "a position must be",
        ),
        (
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry":'
            ' {"type": "Polygon", "coordinates": [[[1, 2], [3, 400], [1, 5], [1, 2]]]}}]}',
            "outside",
        ),
    ],
)
def test_an_unusable_geojson_is_a_typed_error(content, problem):
    with pytest.raises(geo.MapDataError, match=problem) as caught:
        geo.parse_geojson(
            content, name_property="name", districts=region_config().districts, path="x.geojson"
        )
    assert caught.value.field == "map.geojson" and caught.value.path == "x.geojson"


def test_an_unusable_geojson_falls_back_to_tiles_with_a_message(web_engine, seeded, tmp_path):
    broken = tmp_path / "rusak.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [1]}', encoding="utf-8")
    for path in (broken, tmp_path / "hilang.geojson"):
        page = _client(web_engine, _with_map(geojson=str(path))).get("/map")
        assert page.status_code == 200
        assert "tidak dapat dipakai" in page.text and 'class="tile-map"' in page.text
        assert path.name in page.text


def test_tile_names_must_be_configured_districts():
    with pytest.raises(ValueError, match="did you mean 'Omben'"):
        PantauConfig(districts=[{"name": "Omben"}], map={"tiles": {"Ombn": [0, 0]}})
    with pytest.raises(ValueError, match="share the tile"):
        MapConfig(tiles={"Omben": [0, 0], "Torjun": [0, 0]})
    tiles = geo.tiles(region_config().districts[:3], {"camplong": (0, 5)})
    assert [(t.district, t.row, t.col) for t in tiles] == [
        ("Camplong", 0, 5),
        ("Banyuates", 1, 0),
        ("Jrengik", 1, 1),
    ]
