"""OSM import: directions, speeds, names, formats (.osm, .osm.gz, .osm.pbf) and the Shanghai extract."""

from __future__ import annotations

import gzip
from pathlib import Path

import osmium
import pytest

from lastmeter.roads.algorithms.osm import read_osm
from lastmeter.roads.algorithms.speeds import CLASS_CODE, DEFAULT_SPEED_KMH

SHANGHAI = Path(__file__).resolve().parents[1] / "data" / "shanghai_central_osmnx_drive.osm.gz"

# Nodes 0.001° of longitude apart on one parallel (~95 m each).  Node 99 is referenced but absent.
TINY_OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="lastmeter-test">
{nodes}
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="residential"/><tag k="name" v="南京西路"/></way>
  <way id="11" version="1"><nd ref="3"/><nd ref="4"/>
    <tag k="highway" v="primary"/><tag k="oneway" v="yes"/><tag k="maxspeed" v="60"/><tag k="name" v="福州路"/></way>
  <way id="12" version="1"><nd ref="5"/><nd ref="4"/>
    <tag k="highway" v="secondary"/><tag k="oneway" v="-1"/></way>
  <way id="13" version="1"><nd ref="5"/><nd ref="6"/><nd ref="7"/><nd ref="5"/>
    <tag k="highway" v="tertiary"/><tag k="junction" v="roundabout"/></way>
  <way id="14" version="1"><nd ref="7"/><nd ref="8"/><tag k="highway" v="motorway"/><tag k="ref" v="G60"/></way>
  <way id="15" version="1"><nd ref="8"/><nd ref="9"/><tag k="highway" v="footway"/></way>
  <way id="16" version="1"><nd ref="2"/><nd ref="10"/><tag k="highway" v="service"/><tag k="access" v="no"/></way>
  <way id="17" version="1"><nd ref="11"/><nd ref="99"/><nd ref="12"/><nd ref="13"/>
    <tag k="highway" v="residential"/></way>
</osm>
"""


def tiny_osm_text() -> str:
    nodes = "\n".join(
        f'  <node id="{i}" lat="31.23" lon="{121.47 + 0.001 * i:.3f}" version="1"/>' for i in range(1, 14)
    )
    return TINY_OSM.format(nodes=nodes)


@pytest.fixture(params=[".osm", ".osm.gz", ".osm.pbf"])
def tiny_file(request, tmp_path) -> Path:
    xml = tmp_path / "tiny.osm"
    xml.write_text(tiny_osm_text(), encoding="utf-8")
    if request.param == ".osm":
        return xml
    if request.param == ".osm.gz":
        gz = tmp_path / "tiny.osm.gz"
        gz.write_bytes(gzip.compress(xml.read_bytes()))
        return gz
    pbf = tmp_path / "tiny.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(xml)):
            writer.add(obj)
    return pbf


def node_of(g, osm_id: int) -> int:
    hits = (g.source_id == osm_id).nonzero()[0]
    assert hits.size == 1, f"OSM node {osm_id} not in graph"
    return int(hits[0])


def has_edge(g, a: int, b: int) -> bool:
    return g.edge_id(node_of(g, a), node_of(g, b)) >= 0


def test_it_reads_directions_from_all_three_formats(tiny_file):
    g = read_osm(tiny_file)
    assert has_edge(g, 1, 2) and has_edge(g, 2, 1)  # two-way residential
    assert has_edge(g, 3, 4) and not has_edge(g, 4, 3)  # oneway=yes
    assert has_edge(g, 4, 5) and not has_edge(g, 5, 4)  # oneway=-1 on a way drawn 5→4
    assert has_edge(g, 5, 6) and has_edge(g, 6, 7) and has_edge(g, 7, 5)  # roundabout: drawn direction only
    assert not has_edge(g, 6, 5)
    assert has_edge(g, 7, 8) and not has_edge(g, 8, 7)  # motorway implies oneway
    assert not (g.source_id == 9).any()  # footway only
    assert not (g.source_id == 10).any()  # access=no
    assert has_edge(g, 12, 13)
    assert not (g.source_id == 11).any() or not has_edge(g, 11, 12)  # never bridge the missing node 99


def test_it_computes_travel_times_from_maxspeed_or_class(tiny_file):
    g = read_osm(tiny_file)
    e = g.edge_id(node_of(g, 3), node_of(g, 4))
    assert g.seconds[e] == pytest.approx(g.meters[e] / (60 / 3.6), rel=1e-5)
    assert g.edge_class[e] == CLASS_CODE["primary"]
    e = g.edge_id(node_of(g, 1), node_of(g, 2))
    assert g.meters[e] == pytest.approx(95.2, abs=0.5)
    assert g.seconds[e] == pytest.approx(g.meters[e] / (DEFAULT_SPEED_KMH["residential"] / 3.6), rel=1e-5)


def test_it_keeps_street_names_per_edge_including_refs(tiny_file):
    g = read_osm(tiny_file)
    assert g.edge_street(g.edge_id(node_of(g, 1), node_of(g, 2))) == "南京西路"
    assert g.edge_street(g.edge_id(node_of(g, 3), node_of(g, 4))) == "福州路"
    assert g.edge_street(g.edge_id(node_of(g, 7), node_of(g, 8))) == "G60"
    assert g.edge_street(g.edge_id(node_of(g, 4), node_of(g, 5))) is None
    assert g.node_names(node_of(g, 3)) == ["南京西路", "福州路"]


def test_it_refuses_files_without_roads_or_with_an_unknown_suffix(tmp_path):
    empty = tmp_path / "empty.osm"
    empty.write_text("<?xml version='1.0'?><osm version='0.6'></osm>")
    with pytest.raises(ValueError, match="no drivable"):
        read_osm(empty)
    other = tmp_path / "roads.csv"
    other.write_text("x")
    with pytest.raises(ValueError, match="expected one of"):
        read_osm(other)
    with pytest.raises(FileNotFoundError):
        read_osm(tmp_path / "absent.osm")


def test_it_imports_the_shipped_shanghai_extract_with_chinese_street_names():
    g = read_osm(SHANGHAI)
    assert g.n_nodes > 2000 and g.n_edges > g.n_nodes
    names = set(map(str, g.names))
    assert {"南京西路", "西藏中路", "延安东路"} <= names
    oneway = sum(g.edge_id(int(v), int(u)) < 0 for u, v in zip(g.tail[:500], g.indices[:500], strict=True))
    assert oneway > 0  # central Shanghai has many one-way streets
    crossings = dict(g.named_intersections())
    assert any({"西藏中路", "南京西路"} <= set(ns) for ns in crossings.values())
