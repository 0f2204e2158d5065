"""The road or intersection an address names (pure)."""

from __future__ import annotations

import pytest

from lastmeter.broadcasts.algorithms.places import place_of, roads_in


@pytest.mark.parametrize(
    ("address", "place"),
    [
        ("福州路", "福州路"),
        ("上海市黄浦区福州路123号", "福州路"),
        ("福州路福建中路口", "福州路 / 福建中路"),
        ("福建中路与福州路交叉口", "福州路 / 福建中路"),  # either order: the same corner
        ("福州路和福建中路路口", "福州路 / 福建中路"),
        ("南京东路街道九江路50弄", "九江路"),  # the subdistrict is not a road
        ("延安东路高架下", "延安东路"),
        ("人民广场", ""),
        ("", ""),
    ],
)
def test_place_of(address, place):
    assert place_of(address) == place


def test_roads_in_keeps_order_and_drops_repeats():
    assert roads_in("福州路与福建中路，福州路口") == ["福州路", "福建中路"]
