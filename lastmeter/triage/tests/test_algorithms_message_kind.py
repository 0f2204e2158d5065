"""Appeal-or-not on hand-made group-chat messages (Chinese and English)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lastmeter.triage.algorithms.message_kind import MessageKind, classify_message

A, F, N = MessageKind.APPEAL, MessageKind.FOLLOW_UP, MessageKind.NONE


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("@社区民警 小区门口有车违停，堵住了出口", A),
        ("西藏中路福州路口红绿灯坏了，很危险", A),
        ("楼上半夜装修，噪音太大了，能不能管一管", A),
        ("我家老人走失了，穿蓝色外套，求助！", A),
        ("刚接到电话说是公检法，让我转账，是不是诈骗", A),
        ("There's a car parked on the sidewalk on Main St, please help", A),
        ("Big pothole at the corner of 5th and Main", A),
        ("上次反映的违停还没处理", F),
        ("昨天说的那个井盖怎么还没修？", F),
        ("Any update on the broken streetlight I reported yesterday?", F),
        ("谢谢警官！", N),
        ("辛苦了，为你们点赞👍", N),
        ("👍👍👍", N),
        ("[图片]", N),
        ("早上好各位邻居", N),
        ("Thanks so much, great job!", N),
        ("好的，收到", N),
        ("已经处理好了，谢谢民警", N),
        ("今天天气不错", N),
    ],
)
def test_it_sorts_chat_messages(text, kind):
    decision = classify_message(text)
    assert decision.kind is kind, decision.reason
    assert decision.reason and 0.0 <= decision.score <= 1.0


def test_it_treats_nudges_about_an_open_appeal_as_follow_ups():
    assert classify_message("还没有人来吗").kind is N
    assert classify_message("还没有人来吗", about_open_appeal=True).kind is F


class FakeModel:
    def __init__(self, label, score):
        self.out = [(label, score)]

    def predict(self, text, k=3):
        return self.out


def test_it_asks_the_model_only_when_rules_are_silent():
    assert classify_message("三号楼那边怎么回事", model=FakeModel("appeal", 0.9)).kind is A
    assert classify_message("三号楼那边怎么回事", model=FakeModel("appeal", 0.3)).kind is N
    # A clear rule wins over the model.
    assert classify_message("谢谢警官", model=FakeModel("appeal", 0.99)).kind is N


@given(st.text(max_size=80))
def test_it_always_answers_with_a_reason(text):
    d = classify_message(text)
    assert d.kind in MessageKind and d.reason and 0.0 <= d.score <= 1.0
