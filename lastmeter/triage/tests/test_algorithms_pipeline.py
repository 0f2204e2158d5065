"""The whole triage step and the keyword/model categoriser."""

import pytest

from lastmeter.triage.algorithms.categorise import KeywordMatcher, categorise
from lastmeter.triage.algorithms.duplicates import DuplicateIndex, OpenAppeal
from lastmeter.triage.algorithms.gazetteer import Gazetteer
from lastmeter.triage.algorithms.pipeline import QUEUE_CLASSIFY, QUEUE_LOCATE, Triage
from lastmeter.triage.algorithms.taxonomy import load_taxonomy

ROADS = {"人民路": [(121.000, 31.000), (121.002, 31.000)], "解放路": [(121.000, 31.000), (121.000, 31.002)]}


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


@pytest.fixture(scope="module")
def matcher(taxonomy):
    return KeywordMatcher(taxonomy)


@pytest.mark.parametrize(
    ("text", "code", "unit"),
    [
        ("小区门口有车违停", "pol.traffic.illegal_parking", "traffic_police"),
        ("楼下那辆僵尸车积满灰尘", "pol.traffic.zombie_car", "traffic_police"),
        ("接到冒充客服电话被骗了两千元", "pol.order.fraud", "community_police"),
        ("I got scammed by a fake bank call", "pol.order.fraud", "community_police"),
        (
            "Tree down across the road after the storm, fallen tree blocking",
            "pol.city.fallen_tree",
            "greening",
        ),
        ("路面塌陷出现一个大坑", "pol.city.road_damage", "urban_management"),
        ("两车追尾，司机在吵", "政法/交通管理/交通事故", "traffic_police"),
    ],
)
def test_it_categorises_by_keyword(taxonomy, matcher, text, code, unit):
    d = categorise(text, taxonomy, matcher)
    assert d.category is not None, d.reason
    got = d.category.label if "/" in code else d.category.code
    assert (got, d.unit.code) == (code, unit), d.reason
    assert "keyword" in d.reason


class FakeModel:
    def __init__(self, top):
        self.top = top

    def predict(self, text, k=3):
        return self.top[:k]


def test_it_uses_the_model_and_refines_with_keywords(taxonomy, matcher):
    model = FakeModel([("环境保护", 0.8), ("城乡建设", 0.1)])
    d = categorise("工厂排放的烟气很呛", taxonomy, matcher, model)
    assert d.category.label == "环境保护" and d.unit.code == "environment" and d.score == 0.8
    assert d.alternatives[0] == (taxonomy.resolve("环境保护").code, 0.8)
    refined = categorise("工厂排污，污水直排进河里", taxonomy, matcher, model)
    assert refined.category.label == "环境保护/环境污染/水污染", refined.reason


def test_it_leaves_unsure_cases_to_a_person(taxonomy, matcher):
    d = categorise("这个事情怎么办", taxonomy, matcher, FakeModel([("环境保护", 0.3), ("城乡建设", 0.2)]))
    assert d.category is None and d.alternatives and "no confident category" in d.reason
    assert categorise("这个事情怎么办", taxonomy, matcher).category is None


def test_it_triages_a_message_end_to_end(taxonomy):
    index = DuplicateIndex([OpenAppeal(7, "人民路解放路口有车违停", 0.0, 121.0, 31.0)])
    triage = Triage(taxonomy, gazetteer=Gazetteer(ROADS), duplicates=index)
    triage.warm_up()
    r = triage.run("@民警 人民路与解放路交叉口又有车违停，堵住路口", 3600.0)
    assert r.message.kind == "appeal"
    assert r.category.category.code == "pol.traffic.illegal_parking"
    assert (r.place.lon, r.place.lat) == (121.0, 31.0) and r.place.kind == "intersection"
    assert r.duplicate_of == 7 and r.queues == ()
    out = r.as_dict()
    assert out["unit_code"] == "traffic_police" and out["duplicates"][0]["appeal_id"] == 7


def test_it_sends_unknowns_to_the_queues(taxonomy):
    triage = Triage(taxonomy, gazetteer=Gazetteer(ROADS))
    r = triage.run("求助：我家门口有情况，请尽快来人处理一下这个事", 0.0)
    assert r.message.kind == "appeal"
    assert set(r.queues) == {QUEUE_CLASSIFY, QUEUE_LOCATE}
    chatter = triage.run("谢谢警官", 0.0)
    assert chatter.message.kind == "none" and chatter.category is None and chatter.queues == ()


def test_it_uses_a_channel_location_and_appeal_only_channels(taxonomy):
    triage = Triage(taxonomy, gazetteer=Gazetteer(ROADS))
    r = triage.run("门口垃圾", 0.0, lon=121.5, lat=31.2, force_appeal=True)
    assert r.message.reason == "appeal-only channel" and r.place is None and QUEUE_LOCATE not in r.queues
