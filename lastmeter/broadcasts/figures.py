"""The figures publicity drafts are made from, read from the raw rows through these functions.

broadcasts sits below stats (its floor may not import stats), so it reads accident records,
congestion appeals, traffic incidents and fraud appeals here; when the figures work offers the same counts, these functions are the one
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
from lastmeter.broadcasts.algorithms.places import place_of
from lastmeter.dispatching.choices import IncidentType
from lastmeter.dispatching.models import Incident
from lastmeter.lib.clocks import is_working_day
from lastmeter.planning.models import AccidentRecord

ACCIDENT_FIGURES_URL = "/stats/hotspots/?kind=accidents"
INCIDENT_FIGURES_URL = "/stats/hotspots/?kind=incidents"
APPEAL_FIGURES_URL = "/stats/hotspots/?kind=appeals"
# Incident types that mean a road is blocked: accidents, and traffic order (jams, blocked lanes).
CONGESTION_INCIDENT_TYPES = (IncidentType.TRAFFIC_ACCIDENT, IncidentType.TRAFFIC)
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
MORNING_PEAK = range(6, 10)  # 06:00–09:59
EVENING_PEAK = range(16, 20)  # 16:00–19:59


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


# --- congestion: accidents, congestion appeals and traffic incidents by place, hour and weekday ---


def congestion_category_q() -> Q:
    """Appeal categories about congestion: a code that says so ("pol.traffic.congestion"), or a
    name with 拥堵/堵车 ("交通拥堵"), on the category or its parent."""
    q = Q()
    for prefix in ("category__", "category__parent__"):
        q |= Q(**{f"{prefix}code__icontains": "congestion"})
        q |= Q(**{f"{prefix}name__contains": "拥堵"}) | Q(**{f"{prefix}name__contains": "堵车"})
    return q


@dataclass
class PlaceCongestion:
    """What the system's own records say of one road or intersection on working days' rush hours."""

    place: str
    total: int = 0
    by_hour: Counter = field(default_factory=Counter)
    by_weekday: Counter = field(default_factory=Counter)  # 0 = Monday
    by_source: Counter = field(default_factory=Counter)  # "accidents" / "appeals" / "incidents"
    lat: float = 0.0
    lon: float = 0.0
    located: int = 0
    appeal_categories: set[str] = field(default_factory=set)

    def add(self, source: str, local: datetime, lat: float | None, lon: float | None) -> None:
        self.total += 1
        self.by_hour[local.hour] += 1
        self.by_weekday[local.weekday()] += 1
        self.by_source[source] += 1
        if lat is not None and lon is not None:
            # running mean of the records' places: where the groups to tell are
            self.located += 1
            self.lat += (lat - self.lat) / self.located
            self.lon += (lon - self.lon) / self.located

    def peak_hour(self, hours: range) -> tuple[int, int] | None:
        counts = [(self.by_hour[h], h) for h in hours if self.by_hour[h]]
        if not counts:
            return None
        n, hour = max(counts)
        return hour, n

    def busiest_weekdays(self, top: int = 2) -> list[tuple[str, int]]:
        ranked = sorted(self.by_weekday.items(), key=lambda item: (-item[1], item[0]))
        return [(WEEKDAYS[day], n) for day, n in ranked[:top]]


def congestion_by_place(since: datetime, until: datetime) -> list[PlaceCongestion]:
    """Working-day rush-hour records per road/intersection, most first, from three sources:
    accident records, appeals in congestion categories, and incidents of accident or traffic type.

    A record counted through one source is not counted again through another: an incident made
    from an accident record or from a counted appeal is skipped. Records whose address names no
    road are left out (there is no group to remind). Holidays' records do not count (China's
    calendar), so a holiday jam does not make a road look congestion-prone."""
    places: dict[str, PlaceCongestion] = {}

    def take(source: str, address: str, when: datetime | None, lat, lon) -> PlaceCongestion | None:
        """Count one record at its place; None when it does not count (no road, not a working
        day's rush hour)."""
        if when is None:
            return None
        place = place_of(address or "")
        local = timezone.localtime(when)
        if not place or not is_working_day(local.date()):
            return None
        if local.hour not in MORNING_PEAK and local.hour not in EVENING_PEAK:
            return None
        counted = places.setdefault(place, PlaceCongestion(place))
        counted.add(source, local, lat, lon)
        return counted

    accidents = AccidentRecord.objects.filter(occurred_at__gte=since, occurred_at__lt=until).exclude(
        street=""
    )
    for street, when, lat, lon in accidents.values_list("street", "occurred_at", "lat", "lon"):
        take("accidents", street, when, lat, lon)
    appeals = Appeal.objects.filter(congestion_category_q(), created_at__gte=since, created_at__lt=until)
    counted_appeals: set[int] = set()
    for appeal_id, address, created, appeal_lat, appeal_lon, code in appeals.values_list(
        "id", "address", "created_at", "lat", "lon", "category__code"
    ).distinct():
        counted_appeals.add(appeal_id)
        counted = take("appeals", address, created, appeal_lat, appeal_lon)
        if counted is not None:
            counted.appeal_categories.add(code)
    incidents = (
        Incident.objects.filter(
            incident_type__in=CONGESTION_INCIDENT_TYPES, alarm_at__gte=since, alarm_at__lt=until
        )
        .filter(accident_record__isnull=True)
        .exclude(appeal_id__in=counted_appeals)
    )
    for address, when, lat, lon in incidents.values_list("address", "alarm_at", "lat", "lon"):
        take("incidents", address, when, lat, lon)
    return sorted(places.values(), key=lambda p: (-p.total, p.place))
