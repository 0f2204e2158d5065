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


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("温馨提示：近期电信诈骗高发，请大家不要向陌生账户转账", N),  # a notice, not a report
        ("提醒一下，下周一开始垃圾早上七点前要扔", N),  # a weak topic word without a complaint
        ("各位邻居注意，刚才3栋有人家门被撬了，民警能来看看吗", A),  # a notice that asks the police
        ("谢谢大家帮忙找到了我家的猫", N),  # solved
        ("楼下垃圾堆了好几天没人清运", A),  # a weak topic word with a complaint
        ("何时启动梅溪湖路过江通道的建设？", A),  # the formal register of a letter
    ],
)
def test_it_reads_notices_solved_matters_and_weak_topics(text, kind):
    decision = classify_message(text)
    assert decision.kind is kind, decision.reason


def test_it_treats_details_from_a_sender_with_an_open_appeal_as_follow_ups():
    assert classify_message("补充一下，车牌号是沪B 88K21", about_open_appeal=True).kind is F
    assert classify_message("好的谢谢", about_open_appeal=True).kind is N
    assert classify_message("问题已经解决了，感谢", about_open_appeal=True).kind is N


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
