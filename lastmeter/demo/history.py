"""Years of appeal history for a jurisdiction, drawn with numpy (`lastmeter demo --history N`).

This module is the pure half: plain data about the jurisdiction in (``Jurisdiction``), columns of
rows out (``History``: one dict of numpy arrays per table), no Django. ``history_writer`` reads
the jurisdiction from the database and writes the columns (COPY on PostgreSQL, ``bulk_create``
elsewhere). Everything is drawn from one ``numpy.random.Generator`` seeded by the caller, so the
same seed, jurisdiction and end instant give the same rows.

What is drawn, and why it looks like a police station's year:

* **When.** Every hour of the span gets a weight: month of year (a summer peak of noise and
  disputes, the Spring Festival dip in February), weekday (Monday and Friday busier, Sunday
  quietest), hour of day (a morning peak at 8–10, an evening one at 17–20, the trough at 3–5),
  and a yearly growth of the service's use. Appeals fall into hours by a multinomial draw.
* **Where and what.** Grids get a workload share; each grid has its own category mix (a
  Dirichlet draw around a base mix: parking everywhere, noise and disputes where people live)
  and a few hot corners where most of its appeals cluster, so hotspot statistics find something.
* **What happened.** The lifecycle follows the services' transition table: a department's
  category is transferred at receipt; a police appeal is acknowledged, contacted (or met on
  site), landed and resolved, with delays drawn from log-normal laws that are slower at night;
  a few are merged into an earlier duplicate, closed as invalid, or transferred after
  acknowledgement; departments accept or return (a return restarts the police clocks);
  reporters rate a share of resolutions (worse when the landing was late) and contest some,
  which reopens the appeal for a second landing. Steps after ``end`` have not happened yet.
* **Clocks** are consistent with those steps: met when stopped before the deadline, breached at
  the deadline (with the sweeper's breach and escalation events) and met late after it,
  cancelled by a merge, a close or a transfer, still running or breached when ``end`` comes first.

Pauses (waiting for the reporter) are not drawn: the clocks' on-time rates would need the
pause/resume arithmetic of ``appeals.clocks`` and the measures do not depend on them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from lastmeter.lib.clocks import compute_due

HOUR = 3600.0
DAY = 86400.0

# Relative weights; only their shape matters (each is normalised in the product).
HOURLY = np.array(
    [0.9, 0.55, 0.35, 0.25, 0.25, 0.35, 0.9, 2.2, 3.6, 3.9, 3.5, 3.2,
     2.6, 2.5, 2.9, 3.0, 3.2, 3.7, 3.9, 3.4, 2.9, 2.4, 1.9, 1.3],
)  # fmt: skip
WEEKDAY = np.array([1.08, 1.0, 1.0, 1.02, 1.1, 0.93, 0.85])  # Monday first
MONTHLY = np.array([0.86, 0.72, 0.95, 1.0, 1.06, 1.13, 1.24, 1.22, 1.05, 0.94, 0.95, 0.9])
YEARLY_GROWTH = 0.08

# Channels and their shares (chat groups are the report's "one call, one answer").
CHANNELS = {
    "wecom": 0.22, "hotline": 0.24, "web": 0.13, "dingtalk": 0.08, "volunteer": 0.1,
    "walk_in": 0.06, "feishu": 0.03, "chat_import": 0.06, "open311": 0.03, "api": 0.03,
    "telegram": 0.02,
}  # fmt: skip

# The base category mix by the demo's codes (lastmeter.demo.categories); other codes weigh 1.
BASE_MIX = {
    "pol.traffic.illegal_parking": 9.0, "pol.order.noise": 6.0, "pol.order.neighbour_dispute": 5.0,
    "pol.traffic.congestion": 4.0, "pol.city.street_vending": 4.0, "pol.traffic.traffic_hazard": 3.0,
    "pol.order.theft": 3.0, "pol.order.fraud": 2.5, "pol.traffic.zombie_car": 2.0,
    "pol.city.road_damage": 2.0, "gov.01.03.002": 1.5, "pol.traffic.accident_black_spot": 1.5,
    "gov.13.08.009": 1.0, "pol.city.fallen_tree": 1.0, "gov.15.03": 0.8, "pol.help.missing_person": 0.5,
}  # fmt: skip

# Lifecycle shares among police appeals, and among resolutions.
P_MERGED = 0.03
P_CLOSED_INVALID = 0.02
P_POLICE_TRANSFER = 0.04  # found to be a department's matter after acknowledgement
P_SEPARATE_CONTACT = 0.8  # the rest are met on site without a call first
P_RETURNED = 0.12  # of transfers
P_CONTEST = 0.03  # of first resolutions
P_RATED = 0.45  # response rate
SCORES_ON_TIME = np.array([0.03, 0.03, 0.08, 0.26, 0.60])
SCORES_LATE = np.array([0.12, 0.12, 0.20, 0.26, 0.30])

PHRASES = [
    "请尽快处理",
    "已经持续好几天了",
    "影响居民出行",
    "晚上尤其严重",
    "希望民警来看看",
    "多次反映未解决",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


@dataclass(frozen=True)
class GridInfo:
    id: int
    community_id: int
    bbox: tuple[float, float, float, float]  # lon0, lat0, lon1, lat1
    officer_id: int | None
    member_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ClockRule:
    """A clock's length: ``amount`` ``unit`` as in ``appeals.ClockPolicy``."""

    amount: int
    unit: str
    pause: bool = False  # pause_while_waiting


@dataclass(frozen=True)
class CategoryInfo:
    id: int
    code: str
    name: str
    department_id: int | None
    priority: int
    contact: ClockRule
    land: ClockRule
    # The category's own policy for a department's clocks, else None: the department's settings
    # apply (``transfers.start_department_clock``).
    accept: ClockRule | None = None
    outcome: ClockRule | None = None


@dataclass(frozen=True)
class DepartmentInfo:
    id: int
    liaison_id: int | None
    accept: ClockRule  # the department's own settings, for appeals transferred by the police
    outcome: ClockRule


@dataclass(frozen=True)
class Jurisdiction:
    grids: tuple[GridInfo, ...]
    categories: tuple[CategoryInfo, ...]
    departments: tuple[DepartmentInfo, ...]
    leader_id: int | None
    names: dict[int, str] = field(default_factory=dict)  # person id -> name (event actor labels)
    time_zone: str = "Asia/Shanghai"


@dataclass
class History:
    """Columns per table (model field names → arrays of equal length); times are UTC epoch
    seconds (float, NaN for none). Ids are 0-based here; the writer adds each table's offset."""

    n: int
    end: float
    appeals: dict[str, np.ndarray]
    clocks: dict[str, np.ndarray]
    transfers: dict[str, np.ndarray]
    events: dict[str, np.ndarray]
    ratings: dict[str, np.ndarray]
    landings: dict[str, np.ndarray]


# --- when ---------------------------------------------------------------------------------------


def local_midnights(first_day: date, days: int, tz: ZoneInfo) -> np.ndarray:
    """UTC epoch seconds of each local midnight from ``first_day`` (``days`` + 1 values)."""
    return np.array(
        [
            datetime.combine(first_day + timedelta(days=i), time.min, tzinfo=tz).timestamp()
            for i in range(days + 1)
        ]
    )


def hour_weights(first_day: date, days: int) -> np.ndarray:
    """The weight of each local hour of the span (days × 24), from the rhythms above."""
    day_list = [first_day + timedelta(days=i) for i in range(days)]
    month = np.array([d.month - 1 for d in day_list])
    weekday = np.array([d.weekday() for d in day_list])
    growth = 1 + YEARLY_GROWTH * np.arange(days) / 365.25
    per_day = MONTHLY[month] * WEEKDAY[weekday] * growth
    return (per_day[:, None] * HOURLY[None, :]).ravel()


def draw_received(rng: np.random.Generator, n: int, first_day: date, days: int, tz: ZoneInfo) -> np.ndarray:
    """``n`` receipt instants (UTC epoch seconds, ascending) over ``days`` local days."""
    weights = hour_weights(first_day, days)
    counts = rng.multinomial(n, weights / weights.sum())
    hour_index = np.repeat(np.arange(days * 24), counts)
    midnights = local_midnights(first_day, days, tz)
    # A local hour starts at its day's midnight + h hours (a DST day's shifted hour is ignored).
    starts = midnights[hour_index // 24] + (hour_index % 24) * HOUR
    return np.sort(starts + rng.integers(0, 3600, n))


def local_hour(t: np.ndarray, midnights: np.ndarray) -> np.ndarray:
    day = np.searchsorted(midnights, t, side="right") - 1
    return ((t - midnights[day]) // HOUR).astype(np.int64)


# --- where and what -----------------------------------------------------------------------------


def draw_places(
    rng: np.random.Generator, j: Jurisdiction, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(grid index, category index, lat, lon) per appeal: grid by workload, category by the
    grid's own mix, the point near one of the grid's hot corners or anywhere in it."""
    g, c = len(j.grids), len(j.categories)
    workload = rng.lognormal(0.0, 0.35, g)
    grid = rng.choice(g, size=n, p=workload / workload.sum())
    base = np.array([BASE_MIX.get(cat.code, 1.0) for cat in j.categories])
    category = np.empty(n, dtype=np.int64)
    lat = np.empty(n)
    lon = np.empty(n)
    for k, info in enumerate(j.grids):
        idx = np.flatnonzero(grid == k)
        mix = rng.dirichlet(base / base.sum() * 40 + 0.05)
        category[idx] = rng.choice(c, size=idx.size, p=mix)
        lon0, lat0, lon1, lat1 = info.bbox
        hot = np.column_stack([rng.uniform(lon0, lon1, 3), rng.uniform(lat0, lat1, 3)])
        near = rng.random(idx.size) < 0.6
        which = rng.integers(0, 3, idx.size)
        spread = 0.0008  # about 80 m
        x = np.where(near, hot[which, 0] + rng.normal(0, spread, idx.size), rng.uniform(lon0, lon1, idx.size))
        y = np.where(near, hot[which, 1] + rng.normal(0, spread, idx.size), rng.uniform(lat0, lat1, idx.size))
        lon[idx] = np.clip(x, lon0, lon1)
        lat[idx] = np.clip(y, lat0, lat1)
    return grid, category, lat, lon


def draw_channels(rng: np.random.Generator, n: int) -> np.ndarray:
    names = np.array(list(CHANNELS))
    p = np.array(list(CHANNELS.values()))
    return names[rng.choice(len(names), size=n, p=p / p.sum())]


def draw_assignees(rng: np.random.Generator, j: Jurisdiction, grid: np.ndarray) -> np.ndarray:
    """The person routed to: the grid's officer most of the time, an auxiliary on their shifts."""
    out = np.full(grid.size, -1, dtype=np.int64)
    for k, info in enumerate(j.grids):
        idx = np.flatnonzero(grid == k)
        people = [p for p in (info.officer_id, *info.member_ids) if p is not None]
        if not people:
            continue
        p = np.array([0.6] + [0.4 / max(len(people) - 1, 1)] * (len(people) - 1))
        out[idx] = np.array(people)[rng.choice(len(people), size=idx.size, p=p / p.sum())]
    return out


def delays(rng: np.random.Generator, median_h: float, sigma: float, n: int, night: np.ndarray) -> np.ndarray:
    """Log-normal delays in seconds with the given median; night-time (0–6 h) ones 1.8× slower."""
    d = rng.lognormal(np.log(median_h * HOUR), sigma, n)
    return np.where(night, d * 1.8, d)


# --- deadlines ----------------------------------------------------------------------------------


def due_function(
    rule: ClockRule, tz: ZoneInfo, first_day: date, days: int
) -> Callable[[np.ndarray], np.ndarray]:
    """Start instants → deadlines under ``rule``, computed by ``lib.clocks.compute_due``: a
    constant length for hours and calendar days, a table per local start day for working days
    (their deadline depends only on the day the clock started)."""
    if rule.unit != "working_days":
        length = compute_due(datetime(2024, 1, 1, tzinfo=tz), rule.amount, rule.unit, tz).timestamp()
        length -= datetime(2024, 1, 1, tzinfo=tz).timestamp()
        return lambda start: start + length
    span = days + 40  # clocks start up to a few weeks after the last receipt
    midnights = local_midnights(first_day - timedelta(days=1), span, tz)
    table = np.array(
        [
            compute_due(datetime.fromtimestamp(m + 12 * HOUR, tz), rule.amount, rule.unit, tz).timestamp()
            for m in midnights
        ]
    )

    def due(start: np.ndarray) -> np.ndarray:
        day = np.clip(np.searchsorted(midnights, start, side="right") - 1, 0, table.size - 1)
        return table[day]

    return due


def per_category_due(
    rules: list[ClockRule], index: np.ndarray, start: np.ndarray, tz: ZoneInfo, first_day: date, days: int
) -> np.ndarray:
    """Deadlines of clocks started at ``start`` whose rule is ``rules[index]``."""
    out = np.full(start.size, np.nan)
    for k, rule in enumerate(rules):
        sel = np.flatnonzero(index == k)
        if sel.size:
            out[sel] = due_function(rule, tz, first_day, days)(start[sel])
    return out


# --- what happened -------------------------------------------------------------------------------


@dataclass
class Lifecycle:
    """Planned instants of every step per appeal (NaN: the step is not in this appeal's story).
    Whether a step has happened is decided later against ``end``; each step is no earlier than
    the one before it, so the steps before ``end`` are always a prefix of the story."""

    t0: np.ndarray
    police: np.ndarray  # the category is handled by the police (else transferred at receipt)
    merged_into: np.ndarray  # index of the earlier duplicate, -1
    t_merge: np.ndarray
    t_close: np.ndarray  # closed as invalid
    t_ack: np.ndarray
    police_transfer: np.ndarray
    t_transfer: np.ndarray
    transfer_department: np.ndarray  # department index, -1
    returned: np.ndarray
    t_decide: np.ndarray  # the department accepts or returns
    t_complete: np.ndarray
    t_ack2: np.ndarray  # acknowledged again after a return
    police_path: np.ndarray  # contacted, landed and resolved by the police
    t_contact: np.ndarray
    t_land: np.ndarray
    t_resolve: np.ndarray
    t_contest: np.ndarray
    t_reland: np.ndarray
    t_reresolve: np.ndarray
    t_rate: np.ndarray


def previous_duplicate(grid: np.ndarray, category: np.ndarray, t0: np.ndarray) -> np.ndarray:
    """Index of the latest earlier appeal of the same grid and category, -1 when none."""
    order = np.lexsort((t0, category, grid))
    prev = np.full(t0.size, -1, dtype=np.int64)
    same = (grid[order][1:] == grid[order][:-1]) & (category[order][1:] == category[order][:-1])
    prev[order[1:][same]] = order[:-1][same]
    return prev


def draw_lifecycle(
    rng: np.random.Generator,
    t0: np.ndarray,
    police: np.ndarray,
    category_department: np.ndarray,
    prev: np.ndarray,
    n_departments: int,
    midnights: np.ndarray,
) -> Lifecycle:
    """Draw each appeal's story (see the module's docstring for the shares and laws)."""
    n = t0.size
    nan = np.full(n, np.nan)
    u = rng.random((n, 6))

    def night(t: np.ndarray) -> np.ndarray:
        ok = ~np.isnan(t)
        hours = np.zeros(n, dtype=np.int64)
        hours[ok] = local_hour(t[ok], midnights)
        return ok & (hours < 6)

    candidate = police & (prev >= 0) & (u[:, 0] < P_MERGED)
    # Never into an appeal that is itself a duplicate: the service refuses that merge.
    merged = candidate & ~candidate[np.maximum(prev, 0)]
    closed = police & ~candidate & (u[:, 0] >= P_MERGED) & (u[:, 0] < P_MERGED + P_CLOSED_INVALID)
    normal = police & ~merged & ~closed
    t_merge = np.where(merged, t0 + delays(rng, 0.5, 1.0, n, night(t0)), np.nan)
    t_close = np.where(closed, t0 + delays(rng, 1.0, 1.0, n, night(t0)), np.nan)
    t_ack = np.where(normal, t0 + delays(rng, 0.12, 0.8, n, night(t0)), np.nan)

    police_transfer = normal & (u[:, 1] < P_POLICE_TRANSFER)
    t_transfer = np.where(
        ~police, t0, np.where(police_transfer, t_ack + delays(rng, 1.0, 1.0, n, night(t_ack)), nan)
    )
    has_transfer = ~np.isnan(t_transfer)
    department = np.where(~police, category_department, -1)
    if n_departments:
        department = np.where(police_transfer, rng.integers(0, n_departments, n), department)
    returned = has_transfer & (u[:, 2] < P_RETURNED)
    t_decide = np.where(has_transfer, t_transfer + delays(rng, 1.5, 0.8, n, night(t_transfer)), np.nan)
    accepted = has_transfer & ~returned
    t_complete = np.where(accepted, t_decide + delays(rng, 36.0, 0.8, n, night(t_decide)), np.nan)

    police_path = (normal & ~police_transfer) | returned
    base = np.where(returned, t_decide, t0)
    t_ack2 = np.where(returned, t_decide + delays(rng, 0.3, 0.8, n, night(t_decide)), np.nan)
    acked = np.where(returned, t_ack2, t_ack)
    separate = police_path & (u[:, 3] < P_SEPARATE_CONTACT)
    t_contact = np.where(
        separate, np.maximum(base + delays(rng, 0.6, 0.8, n, night(base)), acked + 60), np.nan
    )
    before_land = np.where(separate, t_contact, acked)
    t_land = np.where(
        police_path, np.maximum(base + delays(rng, 5.0, 1.0, n, night(base)), before_land + 300), np.nan
    )
    t_resolve = np.where(police_path, t_land + delays(rng, 6.0, 1.2, n, night(t_land)), np.nan)

    first = np.where(accepted, t_complete, t_resolve)
    resolved = ~np.isnan(first)
    contest = resolved & (u[:, 4] < P_CONTEST)
    t_contest = np.where(contest, first + delays(rng, 20.0, 0.8, n, np.zeros(n, dtype=bool)), np.nan)
    t_reland = np.where(contest, t_contest + delays(rng, 5.0, 1.0, n, night(t_contest)), np.nan)
    t_reresolve = np.where(contest, t_reland + delays(rng, 4.0, 1.0, n, night(t_reland)), np.nan)
    last = np.where(contest, t_reresolve, first)
    t_rate = np.where(resolved & (u[:, 5] < P_RATED), last + delays(rng, 6.0, 1.2, n, night(last)), np.nan)
    return Lifecycle(
        t0=t0,
        police=police,
        merged_into=np.where(merged, prev, -1),
        t_merge=t_merge,
        t_close=t_close,
        t_ack=t_ack,
        police_transfer=police_transfer,
        t_transfer=t_transfer,
        transfer_department=department,
        returned=returned,
        t_decide=t_decide,
        t_complete=t_complete,
        t_ack2=t_ack2,
        police_path=police_path,
        t_contact=t_contact,
        t_land=t_land,
        t_resolve=t_resolve,
        t_contest=t_contest,
        t_reland=t_reland,
        t_reresolve=t_reresolve,
        t_rate=t_rate,
    )


def draw_scores(rng: np.random.Generator, late: np.ndarray) -> np.ndarray:
    """Ratings 1–5: mostly 4–5, worse when the landing (or the department's outcome) was late."""
    on_time = rng.choice(5, size=late.size, p=SCORES_ON_TIME) + 1
    slow = rng.choice(5, size=late.size, p=SCORES_LATE) + 1
    return np.where(late, slow, on_time)


__all__ = [
    "CategoryInfo",
    "ClockRule",
    "DepartmentInfo",
    "GridInfo",
    "History",
    "Jurisdiction",
    "Lifecycle",
    "draw_lifecycle",
    "draw_places",
    "draw_received",
    "draw_scores",
    "hour_weights",
    "local_hour",
]
