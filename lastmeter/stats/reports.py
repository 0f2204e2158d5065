"""The printable weekly and monthly report of one level: the data (the page is report_views.py).

``build_report(scope, level, target, period_kind, period_start)`` checks the request against the
viewer's scope and returns a ``Report``: plain data, every figure measured by ``stats.measures``
(docs/MEASURES.md §Reports says what each part counts).

Levels and who may open them — the same rules as the rest of the figures (stats/selectors.py):

* ``leadership``: the whole jurisdiction; leadership, dispatchers and administrators (403 otherwise).
* ``community``: one community; jurisdiction-wide staff any, a community officer their own.
* ``grid``: one grid; anyone whose figures include that grid.
* ``department``: the transfers to one department; jurisdiction-wide staff any, a liaison theirs.

A target that does not exist and one outside the viewer's scope both answer 404 with the same
sentence; a resident, and a liaison asking for appeal figures, get the 403 of the other figures.
"""

from __future__ import annotations

from calendar import monthrange
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from shapely.geometry import Point, shape

from lastmeter.accounts.models import Department, OrgUnit
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.choices import AppealState, ClockKind, ClockState
from lastmeter.appeals.models import Clock, Transfer
from lastmeter.grids.models import Grid
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.planning.models import AccidentRecord
from lastmeter.stats import measures, measures_time
from lastmeter.stats.hotspots import hotspots
from lastmeter.stats.measures import Slice
from lastmeter.stats.report_map import SvgMap, svg_map
from lastmeter.stats.rollups import day_bounds, local_day
from lastmeter.stats.selectors import require_appeal_figures, require_transfer_figures, visible_grid_ids

LEVELS = ("leadership", "community", "grid", "department")
PERIOD_KINDS = ("week", "month")
FIRST_YEAR = 2000  # a report before this is a typing error, not history
TOP = 10  # rows of the category and grid rankings
OVERDUE_ROWS = 50  # overdue items listed (the total is always given)
HOTSPOT_CELL_M = 250.0


class ReportError(ServiceError):
    """A report request that cannot be answered as asked (HTTP 400)."""


@dataclass(frozen=True)
class Period:
    kind: str  # week or month
    start: date
    end: date  # the period's last day
    through: date  # the last day counted: the end, or today while the period runs

    @property
    def partial(self) -> bool:
        return self.through < self.end

    @property
    def days(self) -> int:
        return (self.through - self.start).days + 1


@dataclass
class Figure:
    """One headline figure with the same figure of the previous period and a year earlier."""

    key: str
    label: str
    kind: str  # count, rate, score, per_day, hours
    value: float | None
    previous: float | None
    year_ago: float | None


@dataclass
class RankRow:
    label: str
    received: int
    share: float | None  # of the level's appeals (or transfers)
    previous: int | None  # the same row in the previous period
    landed_rate: float | None = None
    on_time_rate: float | None = None
    satisfied: float | None = None  # share of ratings 4–5
    breaches: int | None = None


@dataclass
class OverdueItem:
    """A clock past its deadline and still not stopped. No personal data: the appeal's number,
    its category and grid, which deadline, and by how much."""

    appeal_id: int
    number: str
    category: str
    grid: str
    clock: str
    due_at: datetime
    hours_overdue: float


@dataclass
class AccidentFigures:
    accidents: Figure
    victims: Figure
    serious: Figure
    deaths: Figure
    streets: list[tuple[str, int]]


@dataclass
class Report:
    level: str
    target_id: int | None
    target_name: str
    period: Period
    previous: Period
    year_ago: Period
    generated_at: datetime
    figures: list[Figure] = field(default_factory=list)
    working_days: int = 0
    categories: list[RankRow] = field(default_factory=list)
    grids: list[RankRow] = field(default_factory=list)
    transfers: list[dict[str, Any]] = field(default_factory=list)
    overdue: list[OverdueItem] = field(default_factory=list)
    overdue_total: int = 0
    hotspot_map: SvgMap | None = None
    accidents: AccidentFigures | None = None


# --- the request -------------------------------------------------------------------------------


def check_period(kind: str, start: date | None, today: date) -> Period:
    """The week (Monday first) or calendar month holding ``start`` (default: the last complete
    one); refused when unknown, in the future, or before 2000."""
    if kind not in PERIOD_KINDS:
        raise ReportError(_("A report covers a week or a month, not “%(kind)s”.") % {"kind": kind})
    if start is None:
        start = (
            today - timedelta(days=today.weekday() + 7)
            if kind == "week"
            else (today.replace(day=1) - timedelta(days=1))
        )
    if kind == "week":
        first = start - timedelta(days=start.weekday())
        last = first + timedelta(days=6)
    else:
        first = start.replace(day=1)
        last = first.replace(day=monthrange(first.year, first.month)[1])
    if first > today:
        raise ReportError(
            _("The period starting %(start)s has not begun yet; choose a period up to today (%(today)s).")
            % {"start": first.isoformat(), "today": today.isoformat()}
        )
    if first.year < FIRST_YEAR:
        raise ReportError(_("Reports start in %(year)d.") % {"year": FIRST_YEAR})
    return Period(kind, first, last, min(last, today))


def earlier_periods(p: Period) -> tuple[Period, Period]:
    """The previous period and the same dates a year earlier, each as far in as ``p`` is."""
    if p.kind == "week":
        prev_start = p.start - timedelta(days=7)
        prev_end = prev_start + timedelta(days=6)
    else:
        prev_end = p.start - timedelta(days=1)
        prev_start = prev_end.replace(day=1)
    previous = Period(p.kind, prev_start, prev_end, min(prev_end, prev_start + timedelta(days=p.days - 1)))
    shifted = Slice(start=p.start, end=p.through).shifted("yoy")
    year_end = Slice(start=p.end, end=p.end).shifted("yoy").end
    return previous, Period(p.kind, shifted.start, year_end, shifted.end)


@dataclass(frozen=True)
class Target:
    level: str
    id: int | None
    name: str
    grid_ids: frozenset[int] | None  # the appeals counted; None: the whole jurisdiction
    department_id: int | None = None


def _not_found(level: str, value: str) -> Http404:
    return Http404(
        _("No %(level)s “%(target)s” among those you may see.")
        % {"level": level_name(level), "target": value}
    )


def level_name(level: str) -> str:
    return {
        "leadership": _("jurisdiction"),
        "community": _("community"),
        "grid": _("grid"),
        "department": _("department"),
    }[level]


def _by_id_or_code(qs, value: str):
    found = qs.filter(code=value).first()
    if found is None and value.isdigit():
        found = qs.filter(pk=int(value)).first()
    return found


def target_choices(scope: Scope, level: str) -> list[tuple[str, str]]:
    """(value, name) of the targets this viewer may open at ``level`` (the page's picker)."""
    qs: QuerySet[Any]
    if level == "community":
        qs = OrgUnit.objects.filter(kind="community")
        if not scope.jurisdiction_wide:
            qs = qs.filter(pk__in=scope.community_ids)
    elif level == "grid":
        grids = visible_grid_ids(scope)
        qs = Grid.objects.all() if grids is None else Grid.objects.filter(pk__in=grids)
    elif level == "department":
        qs = Department.objects.all()
        if not scope.jurisdiction_wide:
            qs = qs.filter(pk__in=scope.department_ids)
    else:
        return []
    return [(str(pk), name) for pk, name in qs.order_by("name").values_list("pk", "name")]


def resolve_target(scope: Scope, level: str, target: str | None) -> Target:
    """The level's target for this viewer, refused as the rest of stats refuses."""
    if level not in LEVELS:
        raise Http404(
            _("No report level “%(level)s”; the levels are: %(choices)s.")
            % {"level": level, "choices": ", ".join(LEVELS)}
        )
    if level == "department":
        require_transfer_figures(scope)  # 403 for residents
        if not (scope.jurisdiction_wide or scope.department_ids):
            raise NotAllowed(_("The department report is for the department's liaisons and command staff."))
        if not target:
            return _only_choice(scope, level)
        dept = _by_id_or_code(Department.objects.all(), target)
        if dept is None or not (scope.jurisdiction_wide or dept.pk in scope.department_ids):
            raise _not_found(level, target)
        return Target(level, dept.pk, dept.name, None, dept.pk)
    grids = require_appeal_figures(scope)  # 403 for residents and liaisons
    if level == "leadership":
        if grids is not None:
            raise NotAllowed(
                _(
                    "The jurisdiction's report is for leadership and command staff; open your community's or grid's."
                )
            )
        return Target(level, None, _("the whole jurisdiction"), None)
    if not target:
        return _only_choice(scope, level)
    if level == "community":
        community = _by_id_or_code(OrgUnit.objects.filter(kind="community"), target)
        if community is None or not (scope.jurisdiction_wide or community.pk in scope.community_ids):
            raise _not_found(level, target)
        ids = frozenset(Grid.objects.filter(community=community).values_list("pk", flat=True))
        return Target(level, community.pk, community.name, ids)
    grid = _by_id_or_code(Grid.objects.all(), target)
    if grid is None or (grids is not None and grid.pk not in grids):
        raise _not_found(level, target)
    return Target(level, grid.pk, grid.name, frozenset({grid.pk}))


def _only_choice(scope: Scope, level: str) -> Target:
    choices = target_choices(scope, level)
    if len(choices) != 1:
        raise ReportError(_("Choose which %(level)s to report on.") % {"level": level_name(level)})
    return resolve_target(scope, level, choices[0][0])


def default_level(scope: Scope) -> str | None:
    """The report a viewer most likely wants (the header's link); None without figures. No query."""
    if scope.jurisdiction_wide:
        return "leadership"
    if scope.community_ids:
        return "community"
    if scope.grid_ids:
        return "grid"
    if scope.department_ids:
        return "department"
    return None


# --- the report --------------------------------------------------------------------------------


def build_report(
    scope: Scope,
    level: str,
    target: str | None,
    period_kind: str,
    period_start: date | None,
    *,
    now: datetime | None = None,
) -> Report:
    now = now or timezone.now()
    period = check_period(period_kind, period_start, local_day(now))
    chosen = resolve_target(scope, level, target)
    previous, year_ago = earlier_periods(period)
    report = Report(
        level=level,
        target_id=chosen.id,
        target_name=chosen.name,
        period=period,
        previous=previous,
        year_ago=year_ago,
        generated_at=now,
    )
    report.working_days = measures_time.working_days(period.start, period.through)
    slices = [
        Slice(start=p.start, end=p.through, grid_ids=chosen.grid_ids) for p in (period, previous, year_ago)
    ]
    if chosen.department_id is not None:
        _department_parts(report, chosen.department_id, slices)
        report.overdue, report.overdue_total = overdue_items(
            Clock.objects.filter(transfer__department_id=chosen.department_id), period, now
        )
        return report
    _appeal_parts(report, slices)
    clocks = Clock.objects.all()
    if chosen.grid_ids is not None:
        clocks = clocks.filter(appeal__grid_id__in=chosen.grid_ids)
    report.overdue, report.overdue_total = overdue_items(clocks, period, now)
    shapes = _grid_shapes(chosen.grid_ids)
    report.hotspot_map = hotspot_map(period, shapes)
    report.accidents = accident_figures(
        (period, previous, year_ago), None if chosen.grid_ids is None else shapes
    )
    return report


def _figure(key: str, label: str, kind: str, values: list[Any]) -> Figure:
    return Figure(key, label, kind, *values)


def _appeal_parts(report: Report, slices: list[Slice]) -> None:
    sums = [measures.grouped_sums(sl, None, None).get((None, None), measures.zero_sums()) for sl in slices]
    appeal = [measures.appeal_measures(s) for s in sums]
    happy = [measures.satisfaction_measures(s) for s in sums]
    per_working_day = [
        measures.ratio(a["received"], measures_time.working_days(sl.start, sl.end))
        for a, sl in zip(appeal, slices, strict=True)
    ]
    report.figures = [
        _figure("received", pgettext("report", "Appeals received"), "count", [a["received"] for a in appeal]),
        _figure("per_working_day", _("Received per working day"), "per_day", per_working_day),
        _figure("landed", _("Landed on site within 24 h"), "count", [a["landed_on_time"] for a in appeal]),
        _figure(
            "landed_rate", _("24-hour landing rate"), "rate", [a["landed_within_24h_rate"] for a in appeal]
        ),
        _figure(
            "on_time_rate",
            _("On-time rate (all deadlines)"),
            "rate",
            [measures.on_time_rate_all(s) for s in sums],
        ),
        _figure("breaches", _("Deadlines missed"), "count", [a["breaches"] for a in appeal]),
        _figure("satisfied", _("Satisfied (ratings 4–5)"), "rate", [h["share_4_or_5"] for h in happy]),
        _figure("mean_score", _("Mean rating (1–5)"), "score", [h["mean_score"] for h in happy]),
    ]
    current, previous = slices[0], slices[1]
    total = appeal[0]["received"]
    report.categories = _ranking(current, previous, "category", total)
    if report.level in ("leadership", "community"):
        report.grids = _ranking(current, previous, "grid", total)
    report.transfers = measures.transfer_table(current)


def _ranking(current: Slice, previous: Slice, by: str, total: int) -> list[RankRow]:
    """The top rows of one breakdown, most appeals first. Three queries."""
    now = measures.grouped_sums(current, None, by)
    before = measures.grouped_sums(previous, None, by)
    names = measures.labels(by, [k for _, k in now])
    rows = []
    for (_p, key), s in now.items():
        a, h = measures.appeal_measures(s), measures.satisfaction_measures(s)
        rows.append(
            RankRow(
                label=names.get(key, "") or _("(none)"),
                received=a["received"],
                share=measures.ratio(a["received"], total),
                previous=before.get((None, key), {}).get("received", 0),
                landed_rate=a["landed_within_24h_rate"],
                on_time_rate=measures.on_time_rate_all(s),
                satisfied=h["share_4_or_5"],
                breaches=a["breaches"],
            )
        )
    rows.sort(key=lambda r: (-r.received, r.label))
    return rows[:TOP]


def _department_parts(report: Report, department_id: int, slices: list[Slice]) -> None:
    ids = frozenset({department_id})
    rows = [measures.transfer_table(replace(sl, department_ids=ids), by=None) for sl in slices]
    one = [r[0] if r else {} for r in rows]
    counts = [o.get("transfers", 0) for o in one]
    days = [measures_time.working_days(sl.start, sl.end) for sl in slices]
    report.figures = [
        _figure("transfers", _("Transfers received"), "count", counts),
        _figure(
            "per_working_day",
            _("Transfers per working day"),
            "per_day",
            [measures.ratio(c, d) for c, d in zip(counts, days, strict=True)],
        ),
        _figure(
            "accept_rate",
            _("Accepted or returned on time"),
            "rate",
            [o.get("accept_on_time_rate") for o in one],
        ),
        _figure(
            "outcome_rate",
            _("Outcome reported on time"),
            "rate",
            [o.get("outcome_on_time_rate") for o in one],
        ),
        _figure("returned_rate", _("Returned to the police"), "rate", [o.get("returned_rate") for o in one]),
        _figure(
            "acceptance_p50",
            _("Median time to accept (h)"),
            "hours",
            [o.get("acceptance_p50_h") for o in one],
        ),
    ]
    report.transfers = rows[0]
    start, end = day_bounds(slices[0].start, slices[0].end)
    prev_start, prev_end = day_bounds(slices[1].start, slices[1].end)
    transfers = Transfer.objects.filter(department_id=department_id)
    now = Counter(
        transfers.filter(created_at__gte=start, created_at__lt=end).values_list(
            "appeal__category__name", flat=True
        )
    )
    before = Counter(
        transfers.filter(created_at__gte=prev_start, created_at__lt=prev_end).values_list(
            "appeal__category__name", flat=True
        )
    )
    total = sum(now.values())
    report.categories = [
        RankRow(
            label=name or _("(none)"),
            received=n,
            share=measures.ratio(n, total),
            previous=before.get(name, 0),
        )
        for name, n in sorted(now.items(), key=lambda kv: (-kv[1], kv[0] or ""))[:TOP]
    ]


def overdue_items(clocks, period: Period, now: datetime) -> tuple[list[OverdueItem], int]:
    """Clocks breached by the end of the period and still not stopped (state ``breached``: a clock
    stopped late becomes ``met_late``), of appeals not closed or merged; most overdue first.
    Hours overdue are counted to ``now``. Two queries."""
    _start, end = day_bounds(period.start, period.through)
    open_breaches = clocks.filter(state=ClockState.BREACHED, due_at__lt=min(end, now)).exclude(
        appeal__state__in=(AppealState.CLOSED, AppealState.MERGED)
    )
    total = open_breaches.count()
    rows = open_breaches.select_related("appeal__category", "appeal__grid").order_by("due_at")[:OVERDUE_ROWS]
    kinds = dict(ClockKind.choices)
    items = [
        OverdueItem(
            appeal_id=c.appeal_id,
            number=c.appeal.reference or f"#{c.appeal_id}",
            category=c.appeal.category.name if c.appeal.category else "",
            grid=c.appeal.grid.name if c.appeal.grid else "",
            clock=str(kinds.get(c.kind, c.kind)),
            due_at=c.due_at,
            hours_overdue=round((now - c.due_at).total_seconds() / 3600, 1),
        )
        for c in rows
    ]
    return items, total


def _grid_shapes(grid_ids: frozenset[int] | None) -> list[tuple[Grid, Any]]:
    grids = Grid.objects.filter(active=True)
    if grid_ids is not None:
        grids = grids.filter(pk__in=grid_ids)
    return [(g, shape(g.boundary)) for g in grids.order_by("code")]


def hotspot_map(period: Period, shapes: list[tuple[Grid, Any]]) -> SvgMap | None:
    """Gi* cells of the period's appeals over the whole jurisdiction (a cluster is a cluster
    against its surroundings), drawn on the level's grids only."""
    start, end = day_bounds(period.start, period.through)
    cells = hotspots("appeals", start, end, cell_m=HOTSPOT_CELL_M, only_significant=True)
    codes = {g.code for g, _s in shapes}
    return svg_map(
        [(g.name, g.boundary) for g, _s in shapes],
        [(c.ring, c.kind or "", c.z, c.count) for c in cells if c.significant and c.grid_code in codes],
    )


def accident_figures(
    periods: tuple[Period, Period, Period], shapes: list[tuple[Grid, Any]] | None
) -> AccidentFigures | None:
    """Traffic accidents of the period, the previous one and a year earlier, within the level's
    grids (``shapes``; None: everywhere); None when there are none in any of them. One query each."""
    found = []
    for p in periods:
        start, end = day_bounds(p.start, p.through)
        rows = list(
            AccidentRecord.objects.filter(occurred_at__gte=start, occurred_at__lt=end).values_list(
                "lat", "lon", "street", "victims", "injured_serious", "deaths"
            )
        )
        if shapes is not None:
            rows = [r for r in rows if any(s.covers(Point(r[1], r[0])) for _g, s in shapes)]
        found.append(rows)
    if not any(found):
        return None

    def fig(key: str, label: str, index: int | None) -> Figure:
        values: list[float] = [len(f) if index is None else sum(int(r[index]) for r in f) for f in found]
        return Figure(key, label, "count", *values)

    streets = Counter(r[2] for r in found[0] if r[2])
    return AccidentFigures(
        accidents=fig("accidents", _("Traffic accidents"), None),
        victims=fig("victims", _("Victims"), 3),
        serious=fig("serious", _("Seriously injured"), 4),
        deaths=fig("deaths", _("Deaths"), 5),
        streets=sorted(streets.items(), key=lambda kv: (-kv[1], kv[0]))[:5],
    )
