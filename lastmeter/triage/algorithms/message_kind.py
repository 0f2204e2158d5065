"""Appeal-or-not for group-chat messages: ``appeal``, ``follow_up`` or ``none`` — with a reason.

Rules first (Chinese and English cue lists, explainable), optionally a trained model (see
classifier.train with labels from :class:`MessageKind`) for messages the rules leave undecided.
Chatter, thanks, praise and emoji become ``none``; a message about an earlier report ("still not
fixed", "any update?") is a ``follow_up``; a problem or a request for action is an ``appeal``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from .text import has_cjk, is_wordlike, strip_noise


class MessageKind(StrEnum):
    APPEAL = "appeal"
    FOLLOW_UP = "follow_up"
    NONE = "none"


@dataclass(frozen=True)
class MessageDecision:
    kind: MessageKind
    score: float  # confidence in [0, 1]
    reason: str


# Problem words: things that are wrong and need someone to act.
PROBLEM_ZH = [
    "违停",
    "乱停",
    "占道",
    "挡住",
    "堵住",
    "堵门",
    "堵车",
    "拥堵",
    "堵塞",
    "塞车",
    "事故",
    "车祸",
    "撞了",
    "被撞",
    "追尾",
    "剐蹭",
    "噪音",
    "噪声",
    "扰民",
    "太吵",
    "吵闹",
    "吵死",
    "偷",
    "盗",
    "被盗",
    "小偷",
    "丢了",
    "丢失",
    "走失",
    "走丢",
    "失踪",
    "不见了",
    "骗",
    "诈骗",
    "打架",
    "斗殴",
    "打人",
    "吵架",
    "纠纷",
    "漏水",
    "渗水",
    "坏了",
    "损坏",
    "破损",
    "塌",
    "坑",
    "井盖",
    "积水",
    "内涝",
    "倒了",
    "断了",
    "着火",
    "起火",
    "火灾",
    "冒烟",
    "异味",
    "臭",
    "垃圾",
    "污染",
    "危险",
    "隐患",
    "投诉",
    "举报",
    "报警",
    "求助",
    "救命",
    "不亮",
    "停电",
    "停水",
    "拖欠",
    "欠薪",
    "违建",
    "僵尸车",
    "醉酒",
    "可疑",
    "抢劫",
    "威胁",
    "受伤",
    "摔倒",
    "晕倒",
    "狗咬",
    "高空抛物",
    "油烟",
    "粉尘",
    "扬尘",
    "污水",
    "乱扔",
    "乱倒",
    "摆摊",
    "施工",
    "装修",
    "红绿灯",
    "信号灯",
    "路灯",
    "逆行",
    "超速",
    "飙车",
    "无证",
]
PROBLEM_EN = (
    r"parked|parking|blocked|blocking|traffic jam|congestion|gridlock|accident|crash|collision|noise|noisy|"
    r"loud|stolen|theft|steal|robbed|burglar\w*|missing|lost (?:child|kid|dog|wallet|phone)|scam\w*|fraud|"
    r"fight\w*|assault\w*|dispute|leak\w*|broken|pothole|damaged|fallen tree|tree (?:down|fell)|flood\w*|"
    r"fire|smoke|smell|stink\w*|garbage|trash|litter|rubbish|dumping|dangerous|hazard|unsafe|complain\w*|"
    r"emergency|abandoned (?:car|vehicle)|street ?light|traffic light|sinkhole|manhole|graffiti|drunk|"
    r"suspicious|harass\w*|threat\w*|injured|not working|out of order|overflowing"
)
# Requests for action (weaker alone: "can someone help" is an appeal, "can we meet at 8" is not).
REQUEST_ZH = [
    "请",
    "麻烦",
    "帮忙",
    "帮帮",
    "求助",
    "怎么办",
    "能不能",
    "可不可以",
    "希望",
    "尽快",
    "赶紧",
    "管一管",
    "管管",
    "处理一下",
    "来看看",
    "有人管吗",
    "@",
]
REQUEST_EN = r"please|help|can (?:someone|somebody|you|anyone)|could (?:someone|you)|need (?:someone|help)|fix|urgent|asap"
# Follow-up cues: a message about something already reported.
FOLLOW_ZH = [
    "还没",
    "还是没",
    "仍然",
    "依然",
    "怎么还",
    "进展",
    "进度",
    "跟进",
    "反映过",
    "上次反映",
    "之前反映",
    "之前说的",
    "上次说的",
    "昨天说的",
    "昨天反映",
    "前几天反映",
    "处理了吗",
    "处理好了吗",
    "解决了吗",
    "有结果吗",
    "什么时候处理",
    "什么时候来",
    "还在",
    "至今",
    "到现在",
]
FOLLOW_EN = (
    r"still|again|any update|any news|follow(?:ing)? up|follow-up|as i reported|i reported|reported (?:it |this )?"
    r"(?:yesterday|before|last week|earlier)|already reported|not (?:yet )?fixed|when will|no one came|nobody came"
)
# Thanks, praise, acknowledgements and chatter.
SOCIAL_ZH = [
    "谢谢",
    "感谢",
    "多谢",
    "辛苦了",
    "辛苦",
    "点赞",
    "赞",
    "好的",
    "收到",
    "明白",
    "了解",
    "好滴",
    "嗯嗯",
    "哈哈",
    "早上好",
    "晚上好",
    "中午好",
    "大家好",
    "早安",
    "晚安",
    "新年快乐",
    "节日快乐",
    "恭喜",
    "厉害",
    "太棒了",
    "给力",
    "为你们点赞",
    "好样的",
    "ok",
]
SOCIAL_EN = (
    r"thanks?|thank you|thx|great job|good job|well done|appreciate\w*|awesome|good (?:morning|night|evening)|"
    r"hello|hi|hey|ok(?:ay)?|got it|noted|lol|haha|congrat\w*|happy new year|cheers|cool|nice"
)
# Words that say the problem has been solved: with thanks they are praise, not a new problem.
RESOLVED = re.compile(
    r"已经?(?:处理|解决|修好|修复|清理|拖走)|(?:处理|解决|修)好了|fixed now|been fixed|resolved|sorted"
)

_PROBLEM_EN = re.compile(rf"\b(?:{PROBLEM_EN})\b")
_REQUEST_EN = re.compile(rf"\b(?:{REQUEST_EN})\b")
_FOLLOW_EN = re.compile(rf"\b(?:{FOLLOW_EN})\b")
_SOCIAL_EN = re.compile(rf"\b(?:{SOCIAL_EN})\b")
# Negated problems: "没有问题", "no problem" are social, not appeals.
_NEGATED = re.compile(r"没(?:有)?(?:问题|事)|不用了|no problem|no worries|all good")


def _hits_zh(text: str, words: list[str]) -> list[str]:
    return [w for w in words if w in text]


def _hits_en(text: str, pattern: re.Pattern) -> list[str]:
    return [m.group(0) for m in pattern.finditer(text)]


def _fmt(words: list[str]) -> str:
    seen = list(dict.fromkeys(words))
    return ", ".join(seen[:4])


def classify_message(
    text: str, *, about_open_appeal: bool = False, model=None, model_min_score: float = 0.6
) -> MessageDecision:
    """Decide whether a chat message is an appeal, a follow-up or nothing.

    ``about_open_appeal``: the channel knows the message replies to / quotes an open appeal, or the
    sender has an open appeal in this group (then "still nothing?" is a follow-up, not chatter).
    ``model``: optional classifier (classifier.Model) trained on labels ``appeal``/``follow_up``/``none``;
    consulted only when the rules find no cue either way, and used if its score >= model_min_score.
    """
    # The first lines decide: a chat message is short, a long letter states its problem up front.
    clean = strip_noise(text[:600])
    if not any(is_wordlike(ch) for ch in clean):
        return MessageDecision(MessageKind.NONE, 0.95, "no words (emoji, stickers, mentions or links only)")
    mentioned = "@" in text
    cjk = has_cjk(clean)
    problem = _hits_zh(clean, PROBLEM_ZH) + _hits_en(clean, _PROBLEM_EN)
    request = _hits_zh(clean, [w for w in REQUEST_ZH if w != "@"]) + _hits_en(clean, _REQUEST_EN)
    follow = _hits_zh(clean, FOLLOW_ZH) + _hits_en(clean, _FOLLOW_EN)
    social = _hits_zh(clean, SOCIAL_ZH) + _hits_en(clean, _SOCIAL_EN)
    negated = _NEGATED.search(clean) is not None
    resolved = RESOLVED.search(clean) is not None
    # Length of content without social words: "谢谢警官！" has none left, a real report has plenty.
    rest = clean
    for w in sorted(set(social), key=len, reverse=True):
        rest = rest.replace(w, "")
    content_len = sum(1 for ch in rest if is_wordlike(ch))
    if not cjk:
        content_len = len(re.findall(r"[a-z0-9]+", rest)) * 3

    if resolved and not follow:
        return MessageDecision(
            MessageKind.NONE, 0.8, f"says the problem is solved ({_fmt(social) or 'no new problem'})"
        )
    if follow and (problem or about_open_appeal or request):
        why = f"follow-up cues: {_fmt(follow)}"
        if about_open_appeal:
            why += "; refers to an open appeal"
        return MessageDecision(MessageKind.FOLLOW_UP, 0.85 if about_open_appeal else 0.7, why)
    if problem and not negated:
        score = min(0.95, 0.6 + 0.1 * len(set(problem)) + (0.1 if request or mentioned else 0.0))
        why = f"problem words: {_fmt(problem)}"
        if request:
            why += f"; asks for action: {_fmt(request)}"
        return MessageDecision(MessageKind.APPEAL, score, why)
    if follow and about_open_appeal:
        return MessageDecision(MessageKind.FOLLOW_UP, 0.7, f"follow-up cues: {_fmt(follow)}")
    if social and content_len <= 6:
        return MessageDecision(MessageKind.NONE, 0.9, f"thanks/praise/chatter: {_fmt(social)}")
    if negated:
        return MessageDecision(MessageKind.NONE, 0.7, "says there is no problem")
    if model is not None:
        label, score = model.predict(text, k=1)[0]
        if label in MessageKind._value2member_map_ and score >= model_min_score:
            return MessageDecision(MessageKind(label), float(score), f"model: {label} ({score:.2f})")
    if request and content_len >= 8:
        return MessageDecision(MessageKind.APPEAL, 0.55, f"asks for action: {_fmt(request)}")
    if mentioned and content_len >= 12:
        return MessageDecision(MessageKind.APPEAL, 0.5, "addresses the officer with a substantial message")
    return MessageDecision(MessageKind.NONE, 0.6, "no problem, request or follow-up cue")
