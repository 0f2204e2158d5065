"""Appeal-or-not for group-chat messages: ``appeal``, ``follow_up`` or ``none`` — with a reason.

Rules first (Chinese and English cue families, explainable), optionally a trained model (see
classifier.train with labels from :class:`MessageKind`) for messages the rules leave undecided.
Chatter, thanks, praise, notices and emoji become ``none``; a message about an earlier report
("still not fixed", "the plate number is …") is a ``follow_up``; a problem or a request for action is
an ``appeal``.

Cue families (why each exists):
- strong problem words name something wrong on their own (违停, 被偷, 打架, 漏气 …);
- weak problem words name a topic that is often just mentioned (垃圾, 装修, 停电, 路灯 …): they need a
  complaint cue (坏, 太, 一直, 没人管 …) or a request to count;
- notices and publicity (通知, 温馨提示, 转发, 请大家 …) are ``none`` unless they ask the police to act;
- resolution (已经修好了, 找到了, 多亏 …) closes a matter: ``none``, or for a sender with an open appeal
  a ``follow_up`` when it carries news beyond thanks;
- references to an earlier matter (刚才, 补充, 还是, 那辆 …) make a sender's message about their open
  appeal a ``follow_up``; explicit nudges (还没处理, 有结果吗 …) do so for anyone.
The hand-written evaluation set (triage/data/chat_messages_zh.csv, scored by bench/triage_eval.py)
has a held-out half these rules were not adjusted on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .text import Prepared, has_cjk, is_wordlike, strip_noise


class MessageKind(StrEnum):
    APPEAL = "appeal"
    FOLLOW_UP = "follow_up"
    NONE = "none"


@dataclass(frozen=True)
class MessageDecision:
    kind: MessageKind
    score: float  # confidence in [0, 1]
    reason: str


def _alt(*words: str) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


# Things that are wrong and need someone to act, on their own.
PROBLEM_ZH = _alt(
    # traffic and parking
    "违停", "乱停", "占道", "挡住", "堵住", "堵门", "堵车", "堵死", "堵满", "堵着", "堵了", "拥堵", "堵塞",
    "塞车", "事故", "车祸", "撞了", "被撞", "撞到", "追尾", "剐蹭", "刮蹭", "逆行", "超速", "飙车", "飙摩托",
    "无证", "僵尸车", "拖走", "占用", "占了", "盲道",
    # noise and nuisance
    "噪音", "噪声", "扰民", "太吵", "很吵", "好吵", "吵得", "吵死", "吵闹", "喧哗", "嗡嗡", "轰轰",
    "油烟", "粉尘", "扬尘", "异味", "臭", "烟太大", "浓烟", "乱扔", "乱倒", "乱堆", "堆满", "高空抛物",
    "往下扔", "拉屎", "粪便", "焚烧", "烧垃圾", "鞭炮",
    # crime and safety
    "偷", "盗", "撬", "被划", "划了", "砸", "抢", "骗", "诈骗", "冒充", "冒领", "传销", "赌博", "假药",
    "打架", "斗殴", "打人", "打起来", "动手", "吵架", "纠纷", "威胁", "骚扰", "跟踪", "偷拍", "可疑",
    "不对劲", "醉酒", "喝醉", "醉汉", "家暴", "电鱼",
    # people in trouble
    "走失", "走丢", "失踪", "迷路", "不见了", "没回来", "没到家", "联系不上", "找不到", "困人", "被困",
    "关在里面", "受伤", "摔倒", "摔了", "晕倒", "救命", "咬人", "狗咬", "咬了",
    # things broken or dangerous
    "漏水", "渗水", "滴水", "漏气", "燃气味", "煤气味", "爆了", "坏了", "损坏", "破损", "裂了", "塌", "坑",
    "没了", "松了", "松动", "倒了", "断了", "不亮", "失灵", "着火", "起火", "火灾", "冒烟", "积水", "内涝",
    "危险", "隐患", "违建", "违章搭建", "群租",
    # asking the police / government
    "投诉", "举报", "报警", "报案", "求助", "拖欠", "欠薪", "不退",
)  # fmt: skip
# Topics that are often only mentioned ("垃圾分类宣传", "装修师傅挺客气"): need a complaint cue.
WEAK_PROBLEM_ZH = _alt(
    "垃圾", "装修", "施工", "摆摊", "停电", "停水", "红绿灯", "信号灯", "路灯", "井盖", "电梯", "流浪狗",
    "摄像头", "小广告", "发传单", "门禁", "下水道", "树", "狗", "车", "烧烤",
)  # fmt: skip
# The formal register of letters to a government message board (反映, 咨询, 何时 …): an appeal in any
# channel, even without a problem word ("何时启动过江通道的建设？").
FORMAL_ZH = _alt(
    "反映", "咨询", "询问", "请求", "建议", "投诉", "维权", "何时", "为何", "为什么", "合理吗", "合法吗",
    "是否", "违规", "违法", "不合理", "不公平", "不作为", "不处理", "不管", "拒不", "违约", "烂尾", "乱收",
    "多收", "强制", "泛滥", "霸凌", "迟迟", "未办", "未发", "没有发放", "拖延", "虚假", "私搭", "乱建",
    "质量问题", "刺耳", "昼夜", "色情", "麻将馆", "收费", "能否", "请考虑", "如何", "怎样才能",
)  # fmt: skip
COMPLAINT_ZH = _alt(
    "坏", "太", "很", "一直", "天天", "每天", "整夜", "半夜", "凌晨", "还在", "没人管", "没人", "不清",
    "满了", "乱", "不敢", "不方便", "出不去", "进不去", "影响", "不安全", "危险", "怎么办", "吓",
)  # fmt: skip
PROBLEM_EN = (
    r"parked|parking|blocked|blocking|traffic jam|congestion|gridlock|accident|crash|collision|noise|noisy|"
    r"loud|stole|stolen|theft|steal|robbed|broke into|burglar\w*|missing|lost (?:child|kid|dog|wallet|phone)|"
    r"scam\w*|fraud|fight\w*|assault\w*|dispute|leak\w*|broken|pothole|damaged|fallen tree|tree (?:down|fell)|"
    r"flood\w*|fire|smoke|smell|stink\w*|garbage|trash|litter|rubbish|dumping|dangerous|hazard|unsafe|"
    r"complain\w*|emergency|abandoned (?:car|vehicle)|street ?light|traffic light|sinkhole|manhole|graffiti|"
    r"drunk|suspicious|harass\w*|threat\w*|injured|fell|not working|out of order|overflowing|towed"
)
# Requests for action ("请" alone is too often an invitation: 请大家吃喜糖).
REQUEST_ZH = _alt(
    "请你们", "请民警", "请警官", "请尽快", "请帮", "请处理", "请派", "麻烦", "帮忙", "帮帮", "求助", "怎么办",
    "能不能", "可不可以", "能否", "希望", "尽快", "赶紧", "快来", "管一管", "管管", "处理一下", "来看看",
    "来处理", "有人管吗", "怎么处理", "能帮", "帮我", "查一下", "看一下监控", "追回", "调解", "怎么报案",
)  # fmt: skip
REQUEST_EN = r"please|help|can (?:someone|somebody|you|anyone)|could (?:someone|you)|need (?:someone|help)|fix|urgent|asap|who do i ask"
# Nudges about an earlier report: a follow-up whoever sends them.
FOLLOW_ZH = _alt(
    "还没处理", "还没修", "还没人", "还是没", "怎么还", "进展", "进度", "跟进", "反映过", "上次反映", "之前反映",
    "之前说的", "上次说的", "昨天说的", "昨天反映", "前几天反映", "前天说的", "刚才说的", "上午说的",
    "上午反映", "之前有人反映", "处理了吗", "处理好了吗", "解决了吗", "有结果吗", "有结果", "结果吗",
    "什么时候处理", "什么时候来", "什么时候安排", "后来处理", "后来怎么样", "怎么样了", "有结过",
)  # fmt: skip
# "Still …": a follow-up in a short message that points back (a letter's narrative uses them too).
PERSIST_ZH = _alt("还没", "仍然", "依然", "至今", "到现在", "还在", "还是")
FOLLOW_EN = (
    r"still|again|any update|any news|follow(?:ing)? up|follow-up|as i reported|i reported|reported (?:it |this )?"
    r"(?:yesterday|before|last week|earlier)|already reported|not (?:yet )?fixed|when will|no one came|nobody came|"
    r"update:"
)
# Words that point back to a matter already raised: with an open appeal, the message is about it.
REFERENCE_ZH = _alt(
    "补充", "刚才", "刚刚", "上午", "昨天", "前天", "之前", "上次", "那个", "那辆", "那家", "那户", "又",
    "说错", "再说一下", "不是", "定位", "现场", "照片", "图片", "截图", "监控", "号码", "手机号", "车牌",
    "地址", "位置", "时间", "等你们", "上门", "在家", "到了",
)  # fmt: skip
# Thanks, praise, acknowledgements and chatter.
SOCIAL_ZH = _alt(
    "谢谢", "感谢", "多谢", "辛苦了", "辛苦", "点赞", "赞", "好的", "收到", "明白", "了解", "知道了", "好滴",
    "嗯嗯", "嗯", "哦", "哈哈", "早上好", "晚上好", "中午好", "大家好", "早安", "晚安", "新年快乐",
    "节日快乐", "恭喜", "厉害", "太棒了", "给力", "为你们点赞", "好样的", "ok", "在吗",
)  # fmt: skip
SOCIAL_EN = (
    r"thanks?|thank you|thx|great job|good job|well done|appreciate\w*|awesome|good (?:morning|night|evening)|"
    r"hello|hi|hey|ok(?:ay)?|got it|noted|lol|haha|congrat\w*|happy new year|cheers|cool|nice|same"
)
# The problem has been solved (with thanks: praise, not a new problem).
RESOLVED = re.compile(
    r"已经?(?:处理|解决|修好|修复|清理|清走|拖走|抓到|抓获|找到)|(?:处理|解决|修)好了|解决了|找到了|找回了|"
    r"抓到了|抓获|挪走了|清走了|拖走了|多亏|没事了|误会|说开了|不用(?:来|麻烦)了|不用了|虚惊|"
    r"fixed now|been fixed|resolved|sorted|found (?:him|her|it|them)"
)
# Notices, publicity and forwarded news: for everyone, not a request to the police.
NOTICE = re.compile(
    r"^(?:【|\[?通知|温馨提示|提示|提醒|转发|公告|防诈骗|反诈|警方提示|重要通知|\S{0,4}通知[:：])|"
    r"请(?:大家|各位|各户|业主|居民)|欢迎大家|大家注意|注意防范|谨防|@所有人|宣传|讲座|演练|活动"
)
# Asking the police to act inside a notice ("各位注意 … 民警能来看看吗").
_POLICE_REQUEST = re.compile(
    rf"(?:民警|警官|警察|派出所)\S{{0,4}}(?:能|来|帮|查|管)|{_alt('能来', '来看看', '来处理', '帮忙查')}"
)
_NEGATED = re.compile(r"没(?:有)?(?:问题|事)|no problem|no worries|all good")

_PROBLEM = re.compile(PROBLEM_ZH)
_WEAK = re.compile(WEAK_PROBLEM_ZH)
_COMPLAINT = re.compile(COMPLAINT_ZH)
_REQUEST = re.compile(REQUEST_ZH)
_FOLLOW = re.compile(FOLLOW_ZH)
_PERSIST = re.compile(PERSIST_ZH)
_FORMAL = re.compile(FORMAL_ZH)
_REFERENCE = re.compile(REFERENCE_ZH)
_SOCIAL = re.compile(SOCIAL_ZH)
_PROBLEM_EN = re.compile(rf"\b(?:{PROBLEM_EN})\b")
_REQUEST_EN = re.compile(rf"\b(?:{REQUEST_EN})\b")
_FOLLOW_EN = re.compile(rf"\b(?:{FOLLOW_EN})")
_SOCIAL_EN = re.compile(rf"\b(?:{SOCIAL_EN})\b")


_OPENING = 60


def _hits(text: str, *patterns: re.Pattern[str]) -> list[str]:
    return [m.group(0) for p in patterns for m in p.finditer(text)]


def _fmt(words: list[str]) -> str:
    seen = list(dict.fromkeys(words))
    return ", ".join(seen[:4])


@dataclass(frozen=True)
class _Cues:
    problem: list[str]
    weak: list[str]
    complaint: list[str]
    request: list[str]
    follow: list[str]
    persist: list[str]
    formal: list[str]
    reference: list[str]
    social: list[str]
    notice: bool
    resolved: bool
    negated: bool
    police_request: bool
    content_len: int  # word-like characters left once social words are removed (Latin: 3 per word)


def _cues(clean: str) -> _Cues:
    social = _hits(clean, _SOCIAL, _SOCIAL_EN)
    rest = clean
    for w in sorted(set(social), key=len, reverse=True):
        rest = rest.replace(w, "")
    content_len = (
        sum(1 for ch in rest if is_wordlike(ch))
        if has_cjk(clean)
        else len(re.findall(r"[a-z0-9]+", rest)) * 3
    )
    return _Cues(
        problem=_hits(clean, _PROBLEM, _PROBLEM_EN),
        weak=_hits(clean, _WEAK),
        complaint=_hits(clean, _COMPLAINT),
        request=_hits(clean, _REQUEST, _REQUEST_EN),
        follow=_hits(clean, _FOLLOW, _FOLLOW_EN),
        persist=_hits(clean, _PERSIST),
        formal=_hits(clean, _FORMAL),
        reference=_hits(clean, _REFERENCE),
        social=social,
        # A letter's body mentions events, solved sub-problems and "no problem" in passing: notices,
        # resolution and negation count in its opening only (a chat message is all opening).
        notice=NOTICE.search(clean[:_OPENING]) is not None,
        resolved=RESOLVED.search(clean[:_OPENING]) is not None,
        negated=_NEGATED.search(clean[:_OPENING]) is not None,
        police_request=_POLICE_REQUEST.search(clean) is not None,
        content_len=content_len,
    )


def classify_message(
    text: str | Prepared,
    *,
    about_open_appeal: bool = False,
    model: Any = None,
    model_min_score: float = 0.6,
) -> MessageDecision:
    """Decide whether a chat message is an appeal, a follow-up or nothing.

    ``about_open_appeal``: the channel knows the message replies to / quotes an open appeal, or the
    sender has an open appeal in this group (then "still nothing?" is a follow-up, not chatter).
    ``model``: optional classifier (classifier.Model) trained on labels ``appeal``/``follow_up``/``none``;
    consulted only when the rules find no cue either way, and used if its score >= model_min_score.
    """
    # The first lines decide: a chat message is short, a long letter states its problem up front.
    if isinstance(text, Prepared):
        clean = strip_noise(text.norm[:600], normalised=True)
        text = text.raw
    else:
        clean = strip_noise(text[:600])
    if not any(is_wordlike(ch) for ch in clean):
        return MessageDecision(MessageKind.NONE, 0.95, "no words (emoji, stickers, mentions or links only)")
    c = _cues(clean)
    mentioned = "@" in text
    weak_problem = c.weak if (c.complaint or c.request) else []
    problem = c.problem + weak_problem
    social_only = bool(c.social) and c.content_len <= 6

    if about_open_appeal:
        if c.resolved and c.content_len <= 10 and not c.follow:
            return MessageDecision(MessageKind.NONE, 0.75, "says the matter is solved")
        if social_only:
            return MessageDecision(MessageKind.NONE, 0.85, f"thanks/acknowledgement: {_fmt(c.social)}")
        cues = c.follow + c.persist + c.reference + problem
        if cues or c.content_len >= 6:
            why = f"about the sender's open appeal ({_fmt(cues) or 'more details'})"
            return MessageDecision(MessageKind.FOLLOW_UP, 0.85 if cues else 0.6, why)
    if c.notice and not c.police_request:
        return MessageDecision(MessageKind.NONE, 0.75, "a notice or publicity for everyone")
    if c.resolved and not c.follow:
        return MessageDecision(
            MessageKind.NONE, 0.8, f"says the problem is solved ({_fmt(c.social) or 'no new problem'})"
        )
    short_back = c.persist and c.reference and c.content_len <= 40
    if (c.follow or short_back) and (problem or c.request or re.search(r"[?？吗]", clean)):
        return MessageDecision(MessageKind.FOLLOW_UP, 0.7, f"follow-up cues: {_fmt(c.follow + c.persist)}")
    if problem and not c.negated:
        score = min(0.95, 0.6 + 0.1 * len(set(problem)) + (0.1 if c.request or mentioned else 0.0))
        why = f"problem words: {_fmt(problem)}"
        if c.request:
            why += f"; asks for action: {_fmt(c.request)}"
        return MessageDecision(MessageKind.APPEAL, score, why)
    if social_only:
        return MessageDecision(MessageKind.NONE, 0.9, f"thanks/praise/chatter: {_fmt(c.social)}")
    if c.formal and c.content_len >= 10 and not c.negated:
        return MessageDecision(MessageKind.APPEAL, 0.6, f"a formal request or complaint: {_fmt(c.formal)}")
    if c.negated:
        return MessageDecision(MessageKind.NONE, 0.7, "says there is no problem")
    if model is not None:
        label, score = model.predict(text, k=1)[0]
        if label in MessageKind._value2member_map_ and score >= model_min_score:
            return MessageDecision(MessageKind(label), float(score), f"model: {label} ({score:.2f})")
    if c.request and c.content_len >= 8 and not c.social:
        return MessageDecision(MessageKind.APPEAL, 0.55, f"asks for action: {_fmt(c.request)}")
    if c.police_request and c.content_len >= 8 and not c.social:
        return MessageDecision(MessageKind.APPEAL, 0.5, "asks the police to come or act")
    if mentioned and "@所有人" not in text and c.content_len >= 12 and not c.social:
        return MessageDecision(MessageKind.APPEAL, 0.5, "addresses the officer with a substantial message")
    return MessageDecision(MessageKind.NONE, 0.6, "no problem, request or follow-up cue")
