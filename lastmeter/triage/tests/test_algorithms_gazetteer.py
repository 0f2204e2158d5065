"""Gazetteer: a hand-drawn grid (checkable by hand) and the shipped OSM extract of central Shanghai."""

import gzip
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import pytest

from lastmeter.triage.algorithms.gazetteer import Gazetteer, name_key

# A 2 x 2 grid: 人民路 and 中山路 run east-west, 解放路 and 北京东路/北京西路 run north-south.
# 0.001 deg of latitude is ~111 m.
ROADS = {
    "人民路": [(121.000, 31.000), (121.001, 31.000), (121.002, 31.000)],
    "中山路": [(121.000, 31.002), (121.001, 31.002), (121.002, 31.002)],
    "解放路": [(121.000, 31.000), (121.000, 31.001), (121.000, 31.002)],
    "北京东路": [(121.002, 31.000), (121.002, 31.001)],
    "北京西路": [(121.002, 31.001), (121.002, 31.002)],
    "Main Street": [(121.010, 31.010), (121.011, 31.010)],
    "West 5th Avenue": [(121.011, 31.010), (121.011, 31.011)],
}
PLACES = {"人民广场": (121.0015, 31.0015)}
COMMUNITIES = {"幸福里小区": (121.0005, 31.0012)}


@pytest.fixture(scope="module")
def gaz():
    return Gazetteer(ROADS, PLACES, COMMUNITIES)


@pytest.mark.parametrize(
    "text",
    [
        "人民路与解放路交叉口有车违停",
        "人民路和解放路路口",
        "在人民路解放路口",
        "解放路/人民路",
        "人民路、解放路交汇处",
    ],
)
def test_it_reads_chinese_intersections(gaz, text):
    hit = gaz.locate(text)
    assert hit is not None and hit.kind == "intersection", hit
    assert (hit.lon, hit.lat) == (121.000, 31.000)
    assert hit.confidence >= 0.9


def test_it_reads_near_and_house_numbers(gaz):
    near = gaz.locate("人民路近解放路有个大坑")
    assert near.kind == "near" and (near.lon, near.lat) == (121.000, 31.000) and 0.7 <= near.confidence < 0.9
    addr = gaz.locate("人民路123号门口垃圾成堆")
    assert addr.kind == "address" and addr.confidence == 0.5
    assert (addr.lon, addr.lat) == (121.001, 31.000)  # the node nearest the road's centroid
    road = gaz.locate("人民路上堵车了")
    assert road.kind == "road" and road.confidence < 0.5


def test_it_merges_directional_parts_of_a_road(gaz):
    hit = gaz.locate("北京路与中山路交叉口")
    assert hit.kind == "intersection" and (hit.lon, hit.lat) == (121.002, 31.002)
    assert "北京西路" in hit.names[0]


def test_it_finds_places_and_communities(gaz):
    assert gaz.locate("人民广场附近有人打架").kind == "place"
    hit = gaz.locate("幸福里小区3号楼漏水")
    assert hit.kind == "community" and (hit.lon, hit.lat) == COMMUNITIES["幸福里小区"]


def test_it_tolerates_a_typo(gaz):
    hit = gaz.locate("人名路与解放路交叉口")
    assert hit is not None and hit.kind == "intersection" and (hit.lon, hit.lat) == (121.000, 31.000)
    assert hit.confidence < 0.9


@pytest.mark.parametrize(
    "text",
    [
        "pothole at the corner of Main St & W 5th Ave",
        "car crash on main street and west 5th avenue",
        "Main Street at West 5th Avenue",
    ],
)
def test_it_reads_english_intersections(gaz, text):
    hit = gaz.locate(text)
    assert hit is not None and hit.kind == "intersection", hit
    assert (hit.lon, hit.lat) == (121.011, 31.010)


def test_it_returns_none_when_nothing_is_named(gaz):
    assert gaz.locate("今天天气不错") is None
    assert gaz.locate("") is None
    assert gaz.locate("the weather is nice") is None


def test_it_does_not_invent_an_intersection_of_parallel_roads(gaz):
    hit = gaz.locate("人民路与中山路交叉口")  # parallel, 222 m apart
    assert hit is None or hit.kind == "road"


def test_it_keys_names_consistently():
    assert name_key("W 34th St.") == "west 34th street"
    assert name_key(" 西藏 中路 ") == "西藏中路"


def _shanghai_roads():
    path = Path(__file__).resolve().parents[2] / "roads" / "data" / "shanghai_central_osmnx_drive.osm.gz"
    nodes, roads = {}, defaultdict(list)
    with gzip.open(path) as fh:
        for _, el in ET.iterparse(fh):
            if el.tag == "node":
                nodes[el.get("id")] = (float(el.get("lon")), float(el.get("lat")))
            elif el.tag == "way":
                name = next((t.get("v") for t in el.findall("tag") if t.get("k") == "name"), None)
                if name:
                    roads[name].extend(nodes[n.get("ref")] for n in el.findall("nd"))
                el.clear()
    return roads


@pytest.fixture(scope="module")
def shanghai():
    return Gazetteer(_shanghai_roads())


def test_it_locates_real_shanghai_intersections(shanghai):
    hit = shanghai.locate("西藏中路与福州路交叉口有车违停")
    assert hit.kind == "intersection" and hit.confidence >= 0.9
    # OSM: 西藏中路 x 福州路 is just east of People's Square.
    assert abs(hit.lon - 121.4718) < 0.001 and abs(hit.lat - 31.2335) < 0.001
    assert shanghai.locate("重庆中路延安中路路口").kind == "intersection"
    typo = shanghai.locate("西臧中路与九江路")
    assert typo is not None and "西藏中路" in typo.names[0]
    assert shanghai.locate("北京东路100号").kind == "address"
