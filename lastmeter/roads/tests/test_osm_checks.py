"""OSM files checked before libosmium reads them: the size limit, the container the name promises
(gzip, bzip2, PBF), and XML whose root is <osm> and which has no DTD — a "billion laughs" file is
refused, and the network in use is not touched."""

from __future__ import annotations

import bz2
import gzip
import shutil

import pytest
from django.conf import settings as django_settings

from lastmeter.roads import services
from lastmeter.roads.algorithms.osm import read_osm
from lastmeter.roads.algorithms.osm_checks import OsmFileRefused, check_osm_file

SHIPPED = django_settings.LASTMETER_ROAD_FILE  # the shipped Shanghai extract (.osm.gz)
LAUGHS = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE osm [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<osm version="0.6">
  <node id="1" lat="31.2300" lon="121.4660"/>
  <node id="2" lat="31.2300" lon="121.4680"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/><tag k="name" v="&lol9;"/></way>
</osm>
"""
ROADS = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
  <node id="1" lat="31.2300" lon="121.4660"/>
  <node id="2" lat="31.2300" lon="121.4680"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/><tag k="name" v="福州路"/></way>
</osm>
"""
LIMIT = 64 * 1024 * 1024


@pytest.mark.parametrize("packing", ["osm", "osm.gz", "osm.bz2"])
def test_it_refuses_a_billion_laughs_osm_file(tmp_path, packing):
    data = LAUGHS.encode()
    path = tmp_path / f"laughs.{packing}"
    path.write_bytes(
        gzip.compress(data) if packing == "osm.gz" else bz2.compress(data) if packing == "osm.bz2" else data
    )
    with pytest.raises(OsmFileRefused, match=r"laughs.* XML with a DTD or entities is refused"):
        read_osm(path)


def test_it_reads_a_plain_osm_file_and_the_shipped_extract(tmp_path):
    path = tmp_path / "two_nodes.osm"
    path.write_text(ROADS, encoding="utf-8")
    assert read_osm(path).n_nodes == 2
    check_osm_file(SHIPPED, LIMIT)


def test_it_refuses_an_osm_file_over_the_limit(tmp_path):
    path = tmp_path / "city.osm.gz"
    shutil.copy(SHIPPED, path)
    with pytest.raises(OsmFileRefused, match=r"city.osm.gz: .* over the limit of .*LASTMETER_MAX_OSM_BYTES"):
        read_osm(path, max_bytes=1024)
    # …and one that inflates past it: the shipped extract is ~100 KB packed, more unpacked.
    with pytest.raises(OsmFileRefused, match="unpacks to more than"):
        check_osm_file(path, path.stat().st_size + 1)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("roads.osm.gz", ROADS.encode(), "named .gz but not a gzip file"),
        ("roads.osm.bz2", gzip.compress(ROADS.encode()), "named .bz2 but not a bzip2 file"),
        ("roads.osm.pbf", ROADS.encode(), "not an OSM PBF file"),
        ("roads.osm", b"<!doctype html><html><body>502 Bad Gateway</body></html>", "not well-formed"),
        ("roads.osm", b"<html><body>502 Bad Gateway</body></html>", "the XML root is <html>, not <osm>"),
        ("roads.osm", "<osm><node/></osm>".encode("utf-16"), "UTF-16 text; OSM XML must be UTF-8"),
        (
            "roads.osm",
            '<?xml version="1.0" encoding="GBK"?><osm><n v="福州路"/></osm>'.encode("gbk"),
            "not UTF-8 text",
        ),
        ("roads.osm", b'<?xml version="1.0" encoding="UTF-8"?><osm version="0.6\xff\xfe"', "not well-formed"),
        ("roads.osm", b"", "no XML element|not well-formed"),
    ],
)
def test_it_refuses_a_file_that_is_not_what_its_name_says(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(OsmFileRefused, match=message):
        check_osm_file(path, LIMIT)


@pytest.fixture
def tiny_network(tmp_path, settings):
    """A two-node network loaded from an OSM file, its cache in tmp_path; forgotten afterwards."""
    good = tmp_path / "two_nodes.osm"
    good.write_text(ROADS, encoding="utf-8")
    settings.LASTMETER_ROAD_CACHE_DIR = str(tmp_path / "cache")
    services.reload_network(good, bump=False)
    yield services.get_network()
    services.install_network(None)


def test_a_refused_road_file_leaves_the_network_in_use_and_writes_no_cache(tmp_path, tiny_network):
    cached = sorted((tmp_path / "cache").iterdir())
    in_use = services.get_network()
    nodes, version = in_use.graph.n_nodes, services.network_info().get("version")
    bad = tmp_path / "laughs.osm"
    bad.write_text(LAUGHS, encoding="utf-8")
    with pytest.raises(services.RoadError, match=r"laughs\.osm.*DTD or entities"):
        services.reload_network(bad, bump=False)
    assert services.get_network() is in_use and in_use.graph.n_nodes == nodes
    assert services.network_info().get("version") == version
    assert sorted((tmp_path / "cache").iterdir()) == cached  # no cache of the refused file
