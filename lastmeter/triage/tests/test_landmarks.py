"""Named places of the loaded OSM extract in the gazetteer: squares, malls, stations, parks.

The shipped extract (lastmeter/roads/data/shanghai_central_osmnx_drive.osm.gz, osmnx "drive") has
no landmark at all: 796 highway ways (629 named) and 2,958 nodes whose only tags are
highway=crossing / traffic_signals / motorway_junction. The service tests therefore load the real
extract with a few landmark elements added (positions chosen for the test, inside the extract), the
way a fuller OSM extract brings them.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from lastmeter.roads import services as roads
from lastmeter.triage import services
from lastmeter.triage.algorithms.gazetteer import Gazetteer
from lastmeter.triage.algorithms.landmarks import (
    gazetteer_inputs,
    landmark_kind,
    names_of,
    places_by_name,
    read_landmarks,
)

SHIPPED = roads.source_path()
# Landmark elements for the test (ids far above OSM's, positions inside the shipped extract's bounds).
STATION = (31.2330, 121.4750)
MALL = [(31.2340, 121.4755), (31.2340, 121.4770), (31.2330, 121.4770), (31.2330, 121.4755)]
PARK = [(31.2320, 121.4700), (31.2320, 121.4715), (31.2305, 121.4715), (31.2305, 121.4700)]
EXTRA = f"""
<node id="9000000001" lat="{STATION[0]}" lon="{STATION[1]}" version="1">
  <tag k="railway" v="station"/><tag k="station" v="subway"/><tag k="name" v="人民广场"/>
  <tag k="name:en" v="People's Square"/></node>
{"".join(f'<node id="900000001{i}" lat="{la}" lon="{lo}" version="1"/>' for i, (la, lo) in enumerate(MALL))}
{"".join(f'<node id="900000002{i}" lat="{la}" lon="{lo}" version="1"/>' for i, (la, lo) in enumerate(PARK))}
<way id="9000000100" version="1">{"".join(f'<nd ref="900000001{i}"/>' for i in range(4))}<nd ref="9000000010"/>
  <tag k="shop" v="mall"/><tag k="building" v="retail"/><tag k="name" v="来福士广场"/>
  <tag k="name:en" v="Raffles City"/></way>
<way id="9000000200" version="1">{"".join(f'<nd ref="900000002{i}"/>' for i in range(4))}<nd ref="9000000020"/>
  <tag k="leisure" v="park"/><tag k="name" v="人民公园"/></way>
"""


def _centre(points):
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


@pytest.fixture
def extract_with_landmarks(tmp_path, settings):
    """The shipped extract plus EXTRA, loaded as LASTMETER_ROAD_FILE."""
    if not SHIPPED.exists():
        pytest.skip(f"{SHIPPED} is not in this checkout")
    text = gzip.decompress(SHIPPED.read_bytes()).decode("utf-8")
    path = tmp_path / "central_with_landmarks.osm.gz"
    path.write_bytes(gzip.compress(text.replace("</osm>", EXTRA + "</osm>").encode("utf-8")))
    settings.LASTMETER_ROAD_FILE = str(path)
    services.reset_caches()
    yield path
    services.reset_caches()


def test_it_knows_the_shipped_extract_has_roads_but_no_landmarks():
    if not SHIPPED.exists():
        pytest.skip(f"{SHIPPED} is not in this checkout")
    assert read_landmarks(SHIPPED) == []  # osmnx "drive": highway ways and crossing/signal nodes only


def test_it_finds_a_mall_a_station_and_a_park_of_the_loaded_extract(extract_with_landmarks):
    mall = services.place_from_text("来福士门口有两个人打起来了")
    assert mall is not None and mall.method == "gazetteer" and mall.confidence >= 0.8
    assert (mall.lat, mall.lon) == pytest.approx(_centre(MALL), abs=1e-6) and mall.name == "来福士"
    station = services.place_from_text("人民广场地铁站2号口有个老人晕倒了")
    assert station is not None and (station.lat, station.lon) == pytest.approx(STATION, abs=1e-6)
    square = services.place_from_text("人民广场这边有人发传单拉人办卡")
    assert square is not None and (square.lat, square.lon) == pytest.approx(STATION, abs=1e-6)
    park = services.place_from_text("人民公园门口有人摆摊")
    assert park is not None and (park.lat, park.lon) == pytest.approx(_centre(PARK), abs=1e-6)
    english = services.place_from_text("Someone fainted at Raffles City, please come")
    assert english is not None and (english.lat, english.lon) == pytest.approx(_centre(MALL), abs=1e-6)
    # The roads are as before, and the mall's outline did not become a "road".
    crossing = services.place_from_text("福州路和河南中路路口有车辆违停")
    assert crossing is not None and 31.2 < crossing.lat < 31.25 and crossing.confidence >= 0.9
    gaz = services.gazetteer()
    assert gaz is not None and "来福士广场" not in gaz.roads and "来福士广场" in gaz.points


def test_it_names_landmarks_the_way_residents_do():
    assert landmark_kind({"railway": "station", "name": "人民广场"}) == "railway=station"
    assert landmark_kind({"railway": "rail", "name": "沪宁线"}) is None
    assert landmark_kind({"highway": "primary", "name": "人民路"}) is None
    assert landmark_kind({"public_transport": "platform", "name": "1号线站台"}) is None
    assert landmark_kind({"highway": "pedestrian", "place": "square", "name": "人民广场"}) == "place=square"
    assert names_of({"name": "人民广场", "name:en": "People's Square"}, "railway=station") == [
        "人民广场", "People's Square", "人民广场站", "人民广场地铁站",
    ]  # fmt: skip
    assert names_of({"name": "来福士广场"}, "shop=mall") == ["来福士广场", "来福士"]
    assert names_of({"name": "人民广场"}, "place=square") == ["人民广场"]  # no "人民"
    assert names_of({"name": "大世界"}, "tourism=attraction") == ["大世界"]
    assert names_of({"name": "新世界城", "alt_name": "新世界;新世界百货"}, "shop=department_store") == [
        "新世界城", "新世界", "新世界百货",
    ]  # fmt: skip


def test_it_keeps_a_station_named_after_its_street_a_street(tmp_path):
    osm = tmp_path / "station.osm"
    osm.write_text(
        '<?xml version="1.0"?><osm version="0.6"><node id="1" lat="31.2365" lon="121.4825" version="1">'
        '<tag k="railway" v="station"/><tag k="name" v="南京东路"/></node></osm>',
        encoding="utf-8",
    )
    roads_in = {"南京东路": [(121.480, 31.236), (121.485, 31.237)]}
    kept, places = gazetteer_inputs(read_landmarks(osm), roads_in)
    assert kept == roads_in and set(places) == {"南京东路站", "南京东路地铁站"}
    hit = Gazetteer(kept, places).locate("南京东路地铁站出口有人吵架")
    assert (
        hit is not None and hit.kind == "place" and (hit.lat, hit.lon) == pytest.approx((31.2365, 121.4825))
    )


def _shared_data() -> Path:
    env = os.environ.get("LASTMETER_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[3].parent / "shared" / "data"


def test_it_reads_the_landmarks_of_a_real_extract_with_points_of_interest():
    path = _shared_data() / "osm" / "liechtenstein-latest.osm.pbf"
    if not path.exists():
        message = f"DATA ABSENT: {path} (../shared/data; set LASTMETER_DATA)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    found = read_landmarks(path)
    kinds = {lm.kind.partition("=")[0] for lm in found}
    assert len(found) > 300 and {"railway", "amenity", "tourism", "place"} <= kinds
    places = places_by_name(found)
    gaz = Gazetteer({}, places)
    hit = gaz.locate("Someone collapsed at the Schaan-Vaduz stop, please send help")
    assert hit is not None and hit.kind == "place"
    assert (hit.lat, hit.lon) == pytest.approx((47.1686, 9.5082), abs=1e-3)
