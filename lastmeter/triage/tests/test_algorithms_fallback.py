"""The keyword rules and the OSM street reader (algorithms/fallback.py): pure, checked by hand."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lastmeter.triage.algorithms import fallback

CATEGORIES = [("illegal_parking", "违章停车", "Illegal parking"), ("noise", "噪声扰民", "Noise")]


def test_it_imports_nothing_from_django():
    code = (
        "import sys, lastmeter.triage.algorithms.fallback; "
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("谢谢民警同志", "thanks"),
        ("小区门口有车违停，麻烦处理", "appeal"),
        ("补充一下，车牌是沪A12345", "update"),
        ("早上好", "chatter"),
        ("", "chatter"),
    ],
)
def test_it_tells_appeals_from_thanks_updates_and_chatter(text, label):
    assert fallback.appeal_or_not(text)[0] == label


def test_it_finds_the_category_named_in_the_text_or_none():
    assert fallback.keyword_category("路口有车辆违章停车", CATEGORIES) == ("illegal_parking", 1.0)
    assert fallback.keyword_category("illegal parking on my street", CATEGORIES) == ("illegal_parking", 0.9)
    assert fallback.keyword_category("楼下有人吵架", CATEGORIES) == ("", 0.0)


def test_it_scores_duplicates_lower_when_far_apart_or_in_another_category():
    same = "福州路有车违停"
    candidates = [
        (1, same, 31.23, 121.47, 1),  # same text, place and category
        (2, same, 31.25, 121.47, 1),  # 2.2 km away: the floor of 0.2
        (3, same, 31.23, 121.47, 2),  # another category: x 0.7
    ]
    assert fallback.duplicate_scores(same, 31.23, 121.47, 1, candidates) == [(1, 1.0), (2, 0.2), (3, 0.7)]


def test_it_reads_the_named_streets_of_an_osm_file(tmp_path):
    osm = tmp_path / "tiny.osm"
    osm.write_text(
        """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
  <node id="1" lat="31.23" lon="121.47"/><node id="2" lat="31.23" lon="121.48"/>
  <node id="3" lat="31.24" lon="121.48"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><tag k="name" v="福州路"/></way>
  <way id="11"><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/></way>
</osm>
""",
        encoding="utf-8",
    )
    assert fallback.StreetIndex.from_osm(osm).streets == {"福州路": [(1, 31.23, 121.47), (2, 31.23, 121.48)]}
    (tmp_path / "unnamed.osm").write_text("<osm><node id='1' lat='0' lon='0'/></osm>", encoding="utf-8")
    with pytest.raises(ValueError, match="no named ways"):
        fallback.StreetIndex.from_osm(tmp_path / "unnamed.osm")
