"""Keyword rules and the OSM street reader of triage: plain data in, plain data out (no Django).

Deliberately simple and explainable, and what triage answers with where the trained algorithms
have nothing to say: keyword rules for appeal-or-not (the follow-up cues of a sender with an open
appeal) and for the category (before any model is trained), fuzzy text + distance for how alike two
messages of one reporter are, and the named streets of an OSM extract (the gazetteer's input).
"""

from __future__ import annotations

import gzip
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from rapidfuzz import fuzz

from lastmeter.lib.geo import haversine_m

_SPACE = re.compile(r"\s+")
_MENTION = re.compile(r"@\S+")
_URL = re.compile(r"https?://\S+", re.I)


def clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    text = _URL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    return _SPACE.sub(" ", text).strip().lower()


THANKS = ("谢谢", "感谢", "多谢", "辛苦了", "thank", "thanks", "谢了", "麻烦了")
PRAISE = ("点赞", "好评", "表扬", "为民警点赞", "真棒", "给力", "负责任", "效率高", "great job", "well done")
CHATTER = (
    "早上好", "晚安", "哈哈", "收到", "好的", "ok", "嗯", "大家好", "新年快乐", "中秋快乐",
    "恭喜", "吃了吗", "hello", "hi",
)  # fmt: skip
PROBLEM = (
    "违停", "乱停", "占道", "堵", "噪音", "扰民", "漏水", "积水", "坏了", "损坏", "不亮", "掉落",
    "垃圾", "偷", "盗", "丢", "被骗", "诈骗", "打架", "吵架", "纠纷", "醉", "报警", "求助", "帮忙",
    "请", "麻烦", "投诉", "反映", "举报", "危险", "隐患", "着火", "烟", "电动车", "充电", "飞线",
    "施工", "摊", "遛狗", "狗", "老人", "走失", "孩子", "事故", "撞", "抢", "可疑", "异味", "井盖",
    "路灯", "红绿灯", "信号灯", "车辆", "拥堵", "开窗", "高空抛物", "群租", "问题", "怎么办", "没人管",
    "parking", "noise", "broken", "stolen", "help", "leak", "fight", "blocked", "danger",
)  # fmt: skip
UPDATE = (
    "补充",
    "更新",
    "还没",
    "仍然",
    "还在",
    "又",
    "现在",
    "刚才",
    "照片",
    "车牌",
    "地址是",
    "位置在",
    "还是没",
)


def appeal_or_not(text: str, *, addressed: bool = False) -> tuple[str, float, str]:
    """(label, score, reason) with label in appeal/update/thanks/praise/chatter."""
    t = clean(text)
    if not t:
        return "chatter", 1.0, "no text"
    problems = [w for w in PROBLEM if w in t]
    updates = [w for w in UPDATE if w in t]
    thanks = [w for w in THANKS if w in t]
    praise = [w for w in PRAISE if w in t]
    if praise and not problems:
        return "praise", 0.8, f"praise words {praise[:3]}"
    if thanks and len(problems) <= (1 if "麻烦" in t or "请" in t else 0):
        return "thanks", 0.8, f"thanks words {thanks[:3]}"
    if problems:
        score = min(0.95, 0.55 + 0.1 * len(problems) + (0.1 if addressed else 0.0))
        if updates and len(problems) <= 2:
            return "update", score, f"update words {updates[:3]} with problem words {problems[:3]}"
        return "appeal", score, f"problem words {problems[:4]}"
    if updates:
        return "update", 0.5, f"update words {updates[:3]}"
    if any(t == w or t.startswith(w) for w in CHATTER) or len(t) <= 4:
        return "chatter", 0.8, "greeting or short chatter"
    if addressed and len(t) >= 8:
        return "appeal", 0.55, "addressed to the police with a substantive message"
    return "chatter", 0.6, "no problem words"


def keyword_category(text: str, categories: list[tuple[str, str, str]]) -> tuple[str, float]:
    """(code, score) of the category whose name (or name parts) appear in the text; ("", 0)."""
    t = clean(text)
    best, best_score = "", 0.0
    for code, name, name_en in categories:
        score = 0.0
        name = clean(name)
        if name and name in t:
            score = 1.0
        elif name and len(name) >= 2:
            # 违章停车 ~ "违停", "停车": share of the name's character bigrams found in the text.
            grams = {name[i : i + 2] for i in range(len(name) - 1)}
            found = sum(1 for g in grams if g in t)
            score = 0.8 * found / len(grams) if grams else 0.0
        if name_en and clean(name_en) in t:
            score = max(score, 0.9)
        if score > best_score:
            best, best_score = code, score
    return (best, round(best_score, 3)) if best_score >= 0.3 else ("", 0.0)


def duplicate_scores(
    text: str,
    lat: float | None,
    lon: float | None,
    category_id: int | None,
    candidates: list[tuple[int, str, float | None, float | None, int | None]],
) -> list[tuple[int, float]]:
    """Score each (id, text, lat, lon, category) candidate in [0, 1]: text similarity, lowered
    when both are located far apart (> 300 m) or in different categories."""
    t = clean(text)
    out = []
    for ident, other, olat, olon, ocat in candidates:
        o = clean(other)
        if not t or not o:
            continue
        sim = max(fuzz.token_set_ratio(t, o), fuzz.partial_ratio(t, o) * 0.9, fuzz.ratio(t, o)) / 100.0
        if lat is not None and lon is not None and olat is not None and olon is not None:
            distance = haversine_m(lat, lon, olat, olon)
            if distance > 300:
                sim *= max(0.2, 1.0 - (distance - 300) / 1000)
        if category_id and ocat and category_id != ocat:
            sim *= 0.7
        out.append((ident, round(sim, 3)))
    return out


class StreetIndex:
    """Street names of an OSM extract → their nodes ``(osm id, lat, lon)``."""

    def __init__(self, streets: dict[str, list[tuple[int, float, float]]]):
        self.streets = streets

    @classmethod
    def from_osm(cls, path: Path | str) -> StreetIndex:
        path = Path(path)
        opener = gzip.open if path.suffix == ".gz" else open
        nodes: dict[int, tuple[float, float]] = {}
        streets: dict[str, list[tuple[int, float, float]]] = defaultdict(list)
        with opener(path, "rb") as fh:
            for _, elem in ET.iterparse(fh, events=("end",)):
                if elem.tag == "node":
                    nodes[int(elem.get("id", "0"))] = (float(elem.get("lat", 0)), float(elem.get("lon", 0)))
                    elem.clear()
                elif elem.tag == "way":
                    name = ""
                    refs = []
                    for child in elem:
                        if child.tag == "tag" and child.get("k") == "name":
                            name = child.get("v", "")
                        elif child.tag == "nd":
                            refs.append(int(child.get("ref", "0")))
                    if name:
                        for ref in refs:
                            if ref in nodes:
                                streets[name].append((ref, *nodes[ref]))
                    elem.clear()
        if not streets:
            raise ValueError(f"{path}: no named ways")
        return cls(dict(streets))
