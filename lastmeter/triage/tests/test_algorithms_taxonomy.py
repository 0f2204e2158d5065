"""Taxonomy: the committed seed file, CSV round trip, clear errors, label resolution, the seed builder."""

import pytest

from lastmeter.triage.algorithms.taxonomy import (
    DEPARTMENT,
    KNOWN_UNITS,
    POLICE,
    TaxonomyError,
    load_taxonomy,
    taxonomy_from_rows,
    taxonomy_to_csv,
)
from lastmeter.triage.algorithms.taxonomy_seed import build_categories


@pytest.fixture(scope="module")
def seed():
    return load_taxonomy()


def test_it_ships_the_government_taxonomy_plus_police_categories(seed):
    assert len([c for c in seed if c.source == "gov" and c.level == 3]) == 517
    assert len([c for c in seed if c.source == "gov" and c.level == 1]) == 15
    for name, unit in [
        ("违章停车", "traffic_police"),
        ("僵尸车", "traffic_police"),
        ("交通拥堵", "traffic_police"),
        ("事故多发点", "traffic_police"),
        ("邻里纠纷", "community_police"),
        ("诈骗", "community_police"),
        ("噪声扰民", "community_police"),
        ("盗窃", "community_police"),
        ("走失", "community_police"),
        ("道路破损", "urban_management"),
        ("倒伏树木", "greening"),
    ]:
        cat = seed.resolve(name)
        assert cat is not None and cat.unit.code == unit, name
        assert cat.keywords


def test_it_gives_every_category_a_parent_and_a_known_unit(seed):
    for cat in seed:
        if cat.level > 1:
            assert seed.parent(cat) is not None, cat.code
        assert cat.unit.code in KNOWN_UNITS
        assert (cat.unit.kind == POLICE) == (not cat.unit.is_transfer)


def test_it_routes_by_government_level(seed):
    assert seed.resolve("政法/交通管理/交通事故").unit.code == "traffic_police"
    assert seed.resolve("城乡建设/城市建设和市政管理/园林绿化").unit.code == "greening"
    assert seed.resolve("环境保护").unit == seed.resolve("环境保护/环境污染").unit
    assert seed.resolve("城乡建设").unit.kind == DEPARTMENT
    assert seed.resolve("其他") is None  # ambiguous name
    assert seed.resolve("no such thing") is None


def test_it_round_trips_through_csv(seed, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(taxonomy_to_csv(seed), encoding="utf-8")
    again = load_taxonomy(path)
    assert again.categories == seed.categories


ROW = {"code": "x", "level1": "治安", "unit_kind": "police", "unit_code": "community_police"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": ""}, "empty code"),
        ({"level1": ""}, "empty level1"),
        ({"unit_kind": "army"}, "unit_kind"),
        ({"unit_code": ""}, "empty unit_code"),
        ({"unit_kind": "department"}, "police unit"),
        ({"level3": "c"}, "level3 without level2"),
    ],
)
def test_it_names_the_bad_row(change, message):
    with pytest.raises(TaxonomyError, match=message):
        taxonomy_from_rows([{**ROW, **change}])


def test_it_refuses_duplicates_and_missing_columns(tmp_path):
    with pytest.raises(TaxonomyError, match="duplicate"):
        taxonomy_from_rows([ROW, ROW])
    path = tmp_path / "bad.csv"
    path.write_text("code,level1\nx,治安\n", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="missing columns"):
        load_taxonomy(path)
    path.write_text(
        "code,level1,unit_kind,unit_code\nx,治安,police,community_police\ny,,police,x\n", encoding="utf-8"
    )
    with pytest.raises(TaxonomyError, match=r"bad.csv:3"):
        load_taxonomy(path)


def test_it_accepts_a_local_department():
    tax = taxonomy_from_rows([{**ROW, "unit_kind": "department", "unit_code": "harbour_office"}])
    assert tax.by_code["x"].unit.is_transfer and tax.by_code["x"].unit.name_zh == "harbour_office"


def test_it_builds_the_seed_from_government_rows():
    cats = build_categories(
        [("政法", "交通管理", "交通事故"), ("政法", "社会治安", "消防安全"), ("政法", "交通管理", "交通事故")]
    )
    by_path = {c.path: c for c in cats}
    assert by_path[("政法",)].code == "gov.01"
    assert by_path[("政法", "交通管理")].unit.code == "traffic_police"
    assert by_path[("政法", "社会治安", "消防安全")].unit.code == "fire"
    assert "车祸" in by_path[("政法", "交通管理", "交通事故")].keywords
    assert len([c for c in cats if c.source == "gov"]) == 5  # 1 + 2 + 2, the repeated row ignored
