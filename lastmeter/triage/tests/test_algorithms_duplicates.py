"""Duplicate finder: hand-made cases, and the grid index against the brute-force reference."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lastmeter.triage.algorithms.duplicates import (
    DuplicateIndex,
    DuplicateParams,
    OpenAppeal,
    TextSimilarity,
    find_duplicates,
    find_duplicates_bruteforce,
    haversine_m,
)

H = 3600.0
LON, LAT = 121.4718, 31.2335
# 0.001 deg latitude ~ 111 m
OPEN = [
    OpenAppeal(1, "西藏中路福州路口有辆车违停好几天了", 0 * H, LON, LAT, "wechat"),
    OpenAppeal(2, "九江路垃圾堆了很多没人清理，很臭", 1 * H, LON + 0.001, LAT + 0.001, "web"),
    OpenAppeal(3, "Streetlight out on Main Street near the school", 2 * H, LON, LAT + 0.0005, "open311"),
    OpenAppeal(4, "小区里噪音扰民，半夜还在装修", 3 * H, None, None, "phone"),
]


@pytest.fixture
def index():
    return DuplicateIndex(OPEN)


def test_it_finds_the_same_problem_reported_again(index):
    hits = index.find("福州路西藏中路路口那辆违停的车还在，停了好几天", 10 * H, LON + 0.0003, LAT)
    assert [h.appeal_id for h in hits] == [1]
    h = hits[0]
    assert h.distance_m == pytest.approx(28.5, abs=1) and h.hours_apart == 10
    assert "m away" in h.reason and h.id == 1


def test_it_ignores_far_old_or_different_reports(index):
    text = "西藏中路福州路口有辆车违停好几天了"
    assert index.find(text, 10 * H, LON + 0.01, LAT) == []  # ~950 m away
    assert index.find(text, 100 * H, LON, LAT) == []  # 100 h later
    assert index.find("路口红绿灯坏了", 1 * H, LON, LAT) == []  # another problem


def test_it_compares_unlocated_reports_on_text_with_a_stricter_threshold(index):
    hits = index.find("小区里噪音扰民，半夜还在装修", 4 * H)
    assert [h.appeal_id for h in hits] == [4] and hits[0].distance_m is None
    # A located report can duplicate an unlocated appeal too.
    assert [h.appeal_id for h in index.find("小区噪音扰民 半夜装修", 4 * H, LON, LAT)] == [4]


def test_it_works_across_languages_of_channel(index):
    hits = index.find("street light is out on Main Street by the school", 5 * H, LON, LAT + 0.0004)
    assert [h.appeal_id for h in hits] == [3]


def test_it_adds_and_removes(index):
    index.remove(1)
    assert index.find("西藏中路福州路口有辆车违停好几天了", 1 * H, LON, LAT) == []
    index.add(OpenAppeal(9, "西藏中路福州路口有辆车违停好几天了", 1 * H, LON, LAT))
    assert [h.appeal_id for h in index.find("西藏中路福州路口有辆车违停好几天了", 1 * H, LON, LAT)] == [9]
    index.remove(12345)  # unknown id: nothing happens
    assert len(index) == 4
    with pytest.raises(ValueError):
        index.add(OpenAppeal(10, "x", 0.0, LON, None))


def test_it_offers_a_dict_form_for_callers():
    rows = [{"id": a.id, "text": a.text, "lat": a.lat, "lon": a.lon} for a in OPEN]
    hits = find_duplicates("西藏中路福州路口那辆车违停好几天了", rows, lat=LAT, lon=LON + 0.0002)
    assert hits[0].id == 1 and hits[0].hours_apart is None


def test_it_compacts_after_many_additions():
    index = DuplicateIndex([])
    for i in range(300):
        index.add(OpenAppeal(i, f"第{i}号楼门口垃圾没人清理", float(i), LON, LAT))
    index.remove(5)
    assert len(index) == 299
    hits = index.find("第7号楼门口垃圾没人清理", 7.0, LON, LAT, k=1)
    assert hits and hits[0].appeal_id == 7


def test_it_scores_a_large_index_exactly_by_rows_and_by_postings():
    streets = ["福州路", "九江路", "汉口路", "广东路", "延安路", "北京路", "南京路", "天津路"]
    problems = ["垃圾没人清理", "路灯不亮", "井盖松动", "有车违停", "噪音扰民", "积水很深"]
    texts = [
        f"{i}号 {s}{p}"
        for i, (s, p) in enumerate((s, p) for s in streets for p in problems for _ in range(13))
    ]
    # Half located on a 10 x 10 grid of ~100 m steps (row-by-row scoring of the few near ones),
    # half without a place (every row in the window: scoring by postings).
    appeals = [
        OpenAppeal(
            i, t, 0.0, *((LON + (i % 10) * 0.001, LAT + (i // 10 % 10) * 0.001) if i % 2 else (None, None))
        )
        for i, t in enumerate(texts)
    ]
    index = DuplicateIndex(appeals)
    for i in (3, 250, 251, 600):
        app = appeals[i]
        for where in ((None, None), (app.lon, app.lat)):
            want = find_duplicates_bruteforce(
                texts[i], 0.0, *where, appeals, index.params, index.similarity, k=5
            )
            got = index.find(texts[i], 0.0, *where, k=5)
            assert got == want and got[0].appeal_id == i


def test_it_measures_text_similarity():
    sim = TextSimilarity(a.text for a in OPEN)
    assert sim.similarity("违停", "违停") == pytest.approx(1.0)
    assert sim.similarity("违停", "") == 0.0
    assert sim.similarity("福州路违停", "违停福州路") > sim.similarity("福州路违停", "九江路垃圾")


WORDS = ["违停", "垃圾", "噪音", "路灯", "福州路", "九江路", "坏了", "没人管", "好几天"]
appeal_st = st.builds(
    lambda i, words, t, d: (i, "".join(words), t, d),
    st.integers(0, 10_000),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=4),
    st.floats(0, 200),
    st.one_of(st.none(), st.tuples(st.floats(-0.006, 0.006), st.floats(-0.006, 0.006))),
)


def test_it_removes_and_replaces_rows_of_the_block_and_of_the_pending_part():
    index = DuplicateIndex(OPEN)
    index.add(OpenAppeal(1, "九江路垃圾堆了很多没人清理", 0.0, LON, LAT))  # replaces a block row
    assert [h.appeal_id for h in index.find("九江路垃圾堆了很多没人清理", 0.0, LON, LAT, k=5)] == [1, 2]
    index.remove(1)  # now a pending row
    assert [h.appeal_id for h in index.find("九江路垃圾堆了很多没人清理", 0.0, LON, LAT, k=5)] == [2]
    assert 1 not in index and index.get(2) is OPEN[1]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(appeal_st, max_size=25, unique_by=lambda a: a[0]),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=4),
    st.floats(0, 200),
    st.one_of(st.none(), st.tuples(st.floats(-0.006, 0.006), st.floats(-0.006, 0.006))),
    st.sampled_from([0.0, 60.0, 89.0, -45.0]),
)
def test_it_agrees_with_the_brute_force_reference(rows, words, t, offset, base_lat):
    appeals = [
        OpenAppeal(i, text, th * H, None if d is None else 10 + d[0], None if d is None else base_lat + d[1])
        for i, text, th, d in rows
    ]
    params = DuplicateParams(max_distance_m=300, max_hours=72, min_similarity=0.2)
    index = DuplicateIndex(appeals, params)
    lon = None if offset is None else 10 + offset[0]
    lat = None if offset is None else base_lat + offset[1]
    got = index.find("".join(words), t * H, lon, lat, k=50)
    want = find_duplicates_bruteforce(
        "".join(words), t * H, lon, lat, appeals, params, index.similarity, k=50
    )
    assert got == want


def test_it_measures_distance():
    assert haversine_m(0, 0, 0, 1) == pytest.approx(111_195, rel=1e-3)


def test_it_drops_matches_below_a_score_floor_like_the_reference():
    params = DuplicateParams(min_similarity=0.05, min_similarity_without_place=0.05, min_score=0.5)
    index = DuplicateIndex(OPEN, params)
    text = "福州路西藏中路路口那辆违停的车还在，停了好几天"
    got = index.find(text, 10 * H, LON + 0.0003, LAT, k=5)
    assert got == find_duplicates_bruteforce(
        text, 10 * H, LON + 0.0003, LAT, OPEN, params, index.similarity, k=5
    )
    assert all(m.score >= 0.5 for m in got)
    loose = DuplicateIndex(OPEN, DuplicateParams(min_similarity=0.05, min_similarity_without_place=0.05))
    assert len(loose.find(text, 10 * H, LON + 0.0003, LAT, k=5)) > len(got)
