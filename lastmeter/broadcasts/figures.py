"""The figures publicity drafts are made from, read from the raw rows through these functions.

broadcasts sits below stats (its floor may not import stats), so it reads accident records and
fraud appeals here; when the figures work offers the same counts, these functions are the one
place to switch. Every function returns plain data and the link where a person sees the figures.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from lastmeter.appeals.models import Appeal
from lastmeter.lib.clocks import is_working_day
from lastmeter.planning.models import AccidentRecord

ACCIDENT_FIGURES_URL = "/stats/hotspots/?kind=accidents"
MORNING_PEAK = range(6, 10)  # 06:00–09:59
EVENING_PEAK = range(16, 20)  # 16:00–19:59


@dataclass
class RoadPeak:
    """Accidents on one road on working days, by hour of the morning and evening peaks."""

    street: str
    total: int
    by_hour: Counter = field(default_factory=Counter)
    lat: float = 0.0
    lon: float = 0.0

    def peak_hour(self, hours: range) -> tuple[int, int] | None:
        counts = [(self.by_hour[h], h) for h in hours if self.by_hour[h]]
        if not counts:
            return None
        n, hour = max(counts)
        return hour, n


def accidents_by_road_and_hour(since: datetime, until: datetime) -> list[RoadPeak]:
    """Working-day accidents in rush hours per street, most first (China's calendar decides
    what a working day is, so holidays' accidents do not make a road look congested)."""
    roads: dict[str, RoadPeak] = {}
    rows = (
        AccidentRecord.objects.filter(occurred_at__gte=since, occurred_at__lt=until)
        .exclude(street="")
        .values_list("street", "occurred_at", "lat", "lon")
    )
    for street, when, lat, lon in rows:
        local = timezone.localtime(when)
        if not is_working_day(local.date()) or (
            local.hour not in MORNING_PEAK and local.hour not in EVENING_PEAK
        ):
            continue
        road = roads.setdefault(street, RoadPeak(street, 0))
        road.total += 1
        road.by_hour[local.hour] += 1
        # running mean of the road's accident places: where its groups are
        road.lat += (lat - road.lat) / road.total
        road.lon += (lon - road.lon) / road.total
    return sorted(roads.values(), key=lambda r: (-r.total, r.street))


@dataclass
class MonthFigures:
    count: int
    types: list[tuple[str, int]]
    streets: list[tuple[str, int]]
    hours: list[tuple[int, int]]
    weather: list[tuple[str, int]]


def accidents_in(start: datetime, end: datetime) -> MonthFigures:
    rows = list(
        AccidentRecord.objects.filter(occurred_at__gte=start, occurred_at__lt=end).values_list(
            "accident_type", "street", "occurred_at", "weather"
        )
    )
    types = Counter(t for t, _s, _w, _x in rows if t)
    streets = Counter(s for _t, s, _w, _x in rows if s)
    hours = Counter(timezone.localtime(w).hour for _t, _s, w, _x in rows if w)
    weather = Counter(x for _t, _s, _w, x in rows if x)
    return MonthFigures(
        len(rows), types.most_common(3), streets.most_common(3), hours.most_common(3), weather.most_common(2)
    )


# Fraud kinds named in residents' words; only these labels and amounts leave the appeals.
FRAUD_KINDS = (
    ("冒充公检法", ("公检法", "警察", "检察院", "法院", "安全账户")),
    ("冒充客服退款", ("客服", "退款", "理赔")),
    ("刷单返利", ("刷单", "返利", "点赞")),
    ("投资理财", ("投资", "理财", "保本", "高收益", "炒股", "虚拟币")),
    ("网络贷款", ("贷款", "征信", "网贷")),
    ("冒充熟人", ("领导", "熟人", "亲戚", "老同学")),
)
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(万|千)?\s*元")


def fraud_kind(text: str) -> str:
    for label, words in FRAUD_KINDS:
        if any(w in text for w in words):
            return label
    return "其他"


def amount_yuan(text: str) -> float | None:
    m = _AMOUNT.search(text)
    if not m:
        return None
    scale = {"万": 10_000, "千": 1_000}.get(m.group(2) or "", 1)
    return float(m.group(1)) * scale


@dataclass
class FraudFigures:
    count: int
    kinds: list[tuple[str, int]]
    amounts: list[float]
    communities: list[tuple[int, int]]  # (community id, appeals)
    category_codes: list[str]


def fraud_appeals(since: datetime, until: datetime) -> FraudFigures:
    """Fraud appeals received in the period: kinds and amounts from their text, and the
    communities they came from. Names, phones and addresses are never read."""
    rows = list(
        Appeal.objects.filter(created_at__gte=since, created_at__lt=until)
        .filter(Q(category__code__endswith="fraud") | Q(category__name__contains="诈骗"))
        .values_list("text", "grid__community_id", "category__code")
    )
    kinds = Counter(fraud_kind(text) for text, _c, _k in rows)
    amounts = sorted(a for a in (amount_yuan(text) for text, _c, _k in rows) if a is not None)
    communities = Counter(c for _t, c, _k in rows if c)
    return FraudFigures(
        len(rows), kinds.most_common(), amounts, communities.most_common(), sorted({k for *_x, k in rows})
    )
