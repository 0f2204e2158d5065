"""SMS length and parts, template variables, the plain-text rendering (hand-checked, then random)."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from lastmeter.broadcasts.algorithms.text import fill, missing_variables, placeholders, plain_text, sms_shape


def test_chinese_sms_parts_are_70_alone_and_67_each_when_joined():
    assert [sms_shape("警" * n).segments for n in (0, 1, 70, 71, 134, 135, 670, 671)] == [
        0,
        1,
        1,
        2,
        2,
        3,
        10,
        11,
    ]
    assert sms_shape("警" * 70).encoding == "UCS-2" and sms_shape("警" * 71).per_segment == 67
    assert sms_shape("😀" * 35).length == 70  # outside the BMP: two UTF-16 units each
    assert sms_shape("a" * 160).segments == 1 and sms_shape("a" * 161).segments == 2
    assert sms_shape("a" * 160 + "警").segments == 3  # one Chinese character makes all of it UCS-2


def reference_parts(text: str) -> int:
    units = len(text.encode("utf-16-le")) // 2
    return 0 if units == 0 else 1 if units <= 70 else math.ceil(units / 67)


@given(st.text(alphabet=st.sampled_from("警察提醒，。😀"), max_size=900))
def test_ucs2_parts_match_a_reference(text):
    assert sms_shape(text).segments == reference_parts(text)


def test_variables_are_found_filled_and_missing_ones_named():
    template = "{road}{hour}点车多，绕行{detour}；{road}"
    assert placeholders(template) == ["road", "hour", "detour"]
    assert missing_variables(template, {"road": "福州路", "hour": " "}) == ["hour", "detour"]
    assert (
        fill(template, {"road": "福州路", "hour": "17", "detour": "广东路"})
        == "福州路17点车多，绕行广东路；福州路"
    )
    assert placeholders("价格{ 10 }元 {1x}") == []  # braces in prose are not variables


def test_markdown_becomes_plain_text_for_sms():
    md = "### 提醒\n**福州路**车多\n- 绕行[广东路](https://example.org/map)\n![照片](https://example.org/p.jpg)"
    assert (
        plain_text(md) == "提醒\n福州路车多\n· 绕行广东路 https://example.org/map\nhttps://example.org/p.jpg"
    )
