"""The dashboard of each level: leadership (the jurisdiction), community police (a community),
grid (a grid) and department (the transfers to a department).

``build_dashboard`` is the one function the page, the JSON API and the exports call. It checks
who asks (``access_dashboard``: the level and target must be the viewer's, a grid, community or
department that is not theirs answers 404 exactly like a missing one; someone with no figures at
all gets 403), checks the input with ``stats.selectors.check_request`` (a backwards range, more
than five years, an unknown category → 400 with a sentence), and reads ``stats.measures``:
counts and rates from the daily rollup (one grouped query per table), times from one aggregate
query, transfers from the transfer rows of the range. The query count does not grow with the
number of grids, days or departments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from django.db.models import Count, DateField, F, Q
from django.db.models.functions import Trunc
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lastmeter.accounts.choices import OrgKind
from lastmeter.accounts.models import Department, OrgUnit, Person
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.filters import overdue_transfers_q
from lastmeter.appeals.models import Category, Transfer
from lastmeter.dispatching.choices import Agency
from lastmeter.grids.models import Grid
from lastmeter.lib.errors import NotAllowed
from lastmeter.stats import measures
from lastmeter.stats.dashboard_community import community_work_tables
from lastmeter.stats.dashboard_parts import (
    Chart,
    Dashboard,
    DashTable,
    Kpi,
    appeals_link,
    auto_period,
    bar_chart,
    column_labels,
    columns,
    heatmap_chart,
    kind_of,
    period_label,
    periods,
    trend_chart,
    weekday_names,
)
from lastmeter.stats.models import SUM_FIELDS, TransferSpan
from lastmeter.stats.selectors import check_request, visible_grid_ids

LEVELS = ("leadership", "community", "grid", "department")
# The measures every table of appeals shows, in order.
APPEAL_KEYS = (
    "received",
    "contact_on_time_rate",
    "landed_within_24h_rate",
    "breaches",
    "resolved",
    "reopen_rate",
    "mean_score",
    "share_4_or_5",
)
KPI_KEYS = (*APPEAL_KEYS, "returned_rate")
TRANSFER_KEYS = (
    "transfers",
    "returned",
    "returned_rate",
    "acceptance_p50_h",
    "acceptance_p90_h",
    "outcome_p50_h",
    "outcome_p90_h",
    "accept_on_time_rate",
    "outcome_on_time_rate",
)


@dataclass(frozen=True)
class Target:
    """Whose figures a dashboard shows, already checked against the viewer's scope."""

    level: str
    id: int | None
    label: str
    code: str
    grid_ids: frozenset[int] | None = None  # the appeals counted (None: every grid)
    community_id: int | None = None
    department_id: int | None = None
    obj: Any = field(default=None, compare=False)  # the grid, community or department itself


def has_figures(scope: Scope) -> bool:
    """Whether the viewer has any dashboard (no query: the header asks on every page)."""
    return scope.jurisdiction_wide or bool(scope.grid_ids or scope.community_ids or scope.department_ids)


def access_dashboard(scope: Scope, level: str, target_id: int | None) -> Target:
    """The target of a dashboard if the viewer may see it. NotAllowed (403) for someone with no
    figures at all or a non-leader asking for the jurisdiction; Http404 for a level that does not
    exist and for a community, grid or department that is missing or not the viewer's."""
    if level not in LEVELS:
        raise Http404(
            _("No dashboard “%(level)s”; use one of: %(choices)s.")
            % {"level": level, "choices": ", ".join(LEVELS)}
        )
    if not has_figures(scope):
        raise NotAllowed(
            _("Figures are for police staff and grid members; you have no area to see figures of.")
        )
    wide = scope.jurisdiction_wide
    key = target_id or 0  # no target below the jurisdiction: no row has pk 0, so a 404 below
    if level == "leadership":
        if not wide:
            raise NotAllowed(
                _(
                    "The leadership dashboard shows the whole jurisdiction: it is for station leadership, dispatchers and administrators."
                )
            )
        return Target(level=level, id=None, label=_("Whole jurisdiction"), code="jurisdiction")
    if level == "community":
        unit = OrgUnit.objects.filter(kind=OrgKind.COMMUNITY, pk=key).first()
        if unit is None or not (wide or unit.pk in scope.community_ids):
            raise Http404(
                _("No community “%(community)s” among the communities you may see.")
                % {"community": target_id}
            )
        return Target(
            level,
            unit.pk,
            unit.name,
            unit.code,
            grid_ids=visible_grid_ids(scope),
            community_id=unit.pk,
            obj=unit,
        )
    if level == "grid":
        grid = Grid.objects.filter(pk=key).first()
        grids = visible_grid_ids(scope)
        if grid is None or not (grids is None or grid.pk in grids):
            raise Http404(_("No grid “%(grid)s” among the grids you may see.") % {"grid": target_id})
        return Target(level, grid.pk, grid.name, grid.code, grid_ids=frozenset({grid.pk}), obj=grid)
    department = Department.objects.filter(pk=key).first()
    if department is None or not (wide or department.pk in scope.department_ids):
        raise Http404(
            _("No department “%(department)s” among the departments you may see.") % {"department": target_id}
        )
    return Target(
        level, department.pk, department.name, department.code, department_id=department.pk, obj=department
    )


def dashboard_targets(scope: Scope) -> list[Target]:
    """The dashboards of the viewer's own level(s), for the landing page: the leadership one for
    the jurisdiction-wide roles; each community of a community police officer; each grid a
    person is a member of or responsible for; each department of a liaison. Three queries."""
    if scope.jurisdiction_wide:
        return [access_dashboard(scope, "leadership", None)]
    out = [
        Target("community", u.pk, u.name, u.code)
        for u in OrgUnit.objects.filter(kind=OrgKind.COMMUNITY, pk__in=scope.community_ids).order_by("name")
    ]
    out += [
        Target("grid", g.pk, g.name, g.code)
        for g in Grid.objects.filter(pk__in=scope.grid_ids).order_by("name")
    ]
    out += [
        Target("department", d.pk, d.name, d.code)
        for d in Department.objects.filter(pk__in=scope.department_ids).order_by("name")
    ]
    return out


def build_dashboard(
    scope: Scope,
    level: str,
    target_id: int | None,
    start: date | None,
    end: date | None,
    *,
    period: str | None = None,
    category: str | None = None,
    channel: str | None = None,
) -> Dashboard:
    """The figures of one dashboard for ``start``..``end`` (local dates, inclusive; default the
    last 30 days), optionally narrowed to a category (code) or channel, and with the trend's
    ``period`` (default: by the length of the range). Raises NotAllowed (403), Http404 or
    ServiceError (400) with a sentence for the viewer."""
    target = access_dashboard(scope, level, target_id)
    return build_for(target, start, end, period=period, category=category, channel=channel)


def build_for(
    target: Target,
    start: date | None,
    end: date | None,
    *,
    period: str | None = None,
    category: str | None = None,
    channel: str | None = None,
) -> Dashboard:
    """``build_dashboard`` for a target already checked by ``access_dashboard``."""
    req = check_request(
        target.grid_ids,
        start=start.isoformat() if start else None,
        end=end.isoformat() if end else None,
        period=period,
        by=None,
        compare=None,
        category=category,
        channel=channel,
    )
    sl = replace(req.slice, community_id=target.community_id)
    step = req.period or auto_period(sl.start, sl.end)
    filters = {"category": category or "", "channel": channel or ""}
    if target.level == "department":
        sl = replace(sl, grid_ids=None, department_ids=frozenset({target.department_id}))  # type: ignore[arg-type]
        kpis, tables, charts = _department(target, sl, step, filters)
    else:
        kpis, tables, charts = _appeals(target, sl, step, filters)
    return Dashboard(
        level=target.level,
        target_id=target.id,
        target_label=target.label,
        target_code=target.code,
        start=sl.start,
        end=sl.end,
        period=step,
        filters={k: v for k, v in filters.items() if v},
        kpis=kpis,
        tables=tables,
        charts=charts,
    )


# --- the appeal levels: leadership, community, grid -------------------------------------------


def _measured(sums: dict[str, int]) -> dict[str, Any]:
    return {**measures.appeal_measures(sums), **measures.satisfaction_measures(sums)}


def _zero() -> dict[str, int]:
    return dict.fromkeys(SUM_FIELDS, 0)


def _add(total: dict[str, int], sums: dict[str, int]) -> None:
    for n in SUM_FIELDS:
        total[n] += sums[n]


def _appeals(target: Target, sl: measures.Slice, step: str, filters: dict[str, str]):
    base = {**filters, "received_from": sl.start, "received_to": sl.end}
    if target.level == "grid":
        base["grid"] = str(target.id)
    elif target.level == "community":
        base["community"] = str(target.id)

    trend_sums = measures.grouped_sums(sl, step, None)
    total = _zero()
    for sums in trend_sums.values():
        _add(total, sums)
    times = _times_of([sl, sl.shifted("yoy"), sl.shifted("mom")])
    current = _measured(total)
    current.update(times[sl])
    earlier = _earlier(
        sl,
        lambda s: {
            **_measured(measures.grouped_sums(s, None, None).get((None, None)) or _zero()),
            **times[s],
        },
    )
    kpis = _kpis(
        current,
        earlier,
        (*KPI_KEYS, "contact_p50_h", "land_p50_h"),
        {
            "received": appeals_link(base),
            "breaches": appeals_link(base, breached=1),
        },
    )

    tables = [_trend(sl, step, trend_sums, base)]
    charts = [trend_chart(tables[0])]
    if target.level in ("leadership", "community"):
        grids = _grids(sl, base, ranking=target.level == "leadership")
        tables.append(grids)
        charts.append(bar_chart(grids, "landed_within_24h_rate", _("Landed within 24 h, by grid"), _("Grid")))
    if target.level == "grid":
        officers = _officers(sl, base)
        tables.append(officers)
        charts.append(bar_chart(officers, "received", _("Appeals received, by officer"), _("Officer")))
    tables.append(_categories(sl, base))
    if target.level == "grid":
        hours = _hours(sl)
        tables.append(hours)
        charts.append(heatmap_chart(hours))
    incidents, response = _incidents(sl)
    tables += [incidents, response]
    if target.level == "leadership":
        departments = _departments(sl, filters)
        tables.append(departments)
        charts.append(
            bar_chart(
                departments,
                "transfers",
                _("Transfers, by department"),
                _("Department"),
            )
        )
    if target.level in ("leadership", "community"):
        tables += community_work_tables(sl, per_officer=target.level == "leadership")
    return kpis, tables, charts


def _earlier(
    sl: measures.Slice, measure: Callable[[measures.Slice], dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """``measure`` of the YoY and MoM slices, measured once when they are the same days: a
    365-day range's year before and its 365 days before are one range unless a 29 February lies
    between (most year-long windows), and reading it twice was a sixth of a dashboard's time."""
    done: dict[measures.Slice, dict[str, Any]] = {}
    out = {}
    for kind in ("yoy", "mom"):
        s = sl.shifted(kind)
        if s not in done:
            done[s] = measure(s)
        out[kind] = done[s]
    return out


def _times_of(slices: list[measures.Slice]) -> dict[measures.Slice, dict[str, Any]]:
    """The median and p90 hours of each slice as measures (the slices that are the same days
    measured once; ``measures.appeal_times_of`` reads the jurisdiction's together)."""
    unique = list(dict.fromkeys(slices))
    return {
        s: {k: v for k, v in (rows[0] if rows else {}).items() if k.endswith("_h")}
        for s, rows in zip(unique, measures.appeal_times_of(unique), strict=True)
    }


def _kpis(
    current: dict[str, Any], earlier: dict[str, dict[str, Any]], keys, links: dict[str, str]
) -> list[Kpi]:
    names = column_labels()
    change = {kind: measures.change(current, before) for kind, before in earlier.items()}
    return [
        Kpi(
            key=k,
            label=names[k],
            kind=kind_of(k),
            value=current.get(k),
            yoy=change.get("yoy", {}).get(k),
            mom=change.get("mom", {}).get(k),
            yoy_value=earlier.get("yoy", {}).get(k),
            mom_value=earlier.get("mom", {}).get(k),
            link=links.get(k, ""),
        )
        for k in keys
    ]


def _trend(sl: measures.Slice, step: str, sums_by_period, base: dict[str, Any]) -> DashTable:
    table = DashTable("trend", _("Trend"), columns(*APPEAL_KEYS, first="period"))
    for p, first, last in periods(sl.start, sl.end, step):
        sums = sums_by_period.get((p, None)) or _zero()
        m = _measured(sums)
        table.rows.append({"period": period_label(p, step), **{k: m[k] for k in APPEAL_KEYS}})
        within = {**base, "received_from": first, "received_to": last}
        table.links.append({"received": appeals_link(within), "breaches": appeals_link(within, breached=1)})
    return table


def _ranked(rows: list[tuple[dict, dict]], key: str, *, reverse: bool = True) -> list[tuple[dict, dict]]:
    """Best first by ``key`` (undefined rates last), then by volume; each row gets its rank."""
    known = sorted(
        (r for r in rows if r[0].get(key) is not None),
        key=lambda r: (-r[0][key] if reverse else r[0][key], -r[0].get("received", r[0].get("transfers", 0))),
    )
    ordered = known + [r for r in rows if r[0].get(key) is None]
    for i, (row, _links) in enumerate(ordered, 1):
        row["rank"] = i
    return ordered


def _grids(sl: measures.Slice, base: dict[str, Any], *, ranking: bool) -> DashTable:
    sums = measures.grouped_sums(sl, None, "grid")
    info = {
        g["pk"]: g
        for g in Grid.objects.filter(pk__in=[k for _p, k in sums if k]).values(
            "pk", "name", "code", "community__name"
        )
    }
    rows = []
    for (_p, grid_id), s in sums.items():
        m = _measured(s)
        g = info.get(grid_id)
        row = {
            "label": g["name"] if g else _("No grid"),
            "community": (g["community__name"] if g else None) or "—",
            **{k: m[k] for k in APPEAL_KEYS},
        }
        within = {**base, "grid": grid_id} if grid_id else base
        links = {"received": appeals_link(within), "breaches": appeals_link(within, breached=1)}
        if grid_id:
            links["label"] = dashboard_url("grid", grid_id, sl.start, sl.end)
        rows.append((row, links))
    cols = ("rank", "community", *APPEAL_KEYS) if ranking else APPEAL_KEYS
    table = DashTable(
        "grids", _("Ranking of grids") if ranking else _("Grids of the community"), columns(*cols)
    )
    for row, links in _ranked(rows, "landed_within_24h_rate"):
        table.rows.append(row)
        table.links.append(links)
    return table


def _categories(sl: measures.Slice, base: dict[str, Any]) -> DashTable:
    sums = measures.grouped_sums(sl, None, "category")
    info = {
        c["pk"]: c
        for c in Category.objects.filter(pk__in=[k for _p, k in sums if k]).values("pk", "name", "code")
    }
    table = DashTable("categories", _("Categories"), columns(*APPEAL_KEYS))
    for (_p, category_id), s in sorted(sums.items(), key=lambda kv: -kv[1]["received"]):
        m = _measured(s)
        c = info.get(category_id)
        table.rows.append({"label": c["name"] if c else _("No category"), **{k: m[k] for k in APPEAL_KEYS}})
        within = {**base, "category": c["code"]} if c else base
        table.links.append({"received": appeals_link(within)} if c else {})
    return table


def _officers(sl: measures.Slice, base: dict[str, Any]) -> DashTable:
    sums = measures.grouped_sums(sl, None, "officer")
    times = {row["key"]: row for row in measures.appeal_times(sl, "officer")}
    names = dict(Person.objects.filter(pk__in=[k for _p, k in sums if k]).values_list("pk", "name"))
    keys = (*APPEAL_KEYS, "contact_p50_h", "land_p50_h", "resolve_p50_h")
    table = DashTable("officers", _("Officers of the grid"), columns(*keys, first_label=_("Officer")))
    for (_p, person_id), s in sorted(sums.items(), key=lambda kv: -kv[1]["received"]):
        m = {**_measured(s), **times.get(None if person_id is None else str(person_id), {})}
        table.rows.append({"label": names.get(person_id, _("Not assigned")), **{k: m.get(k) for k in keys}})
        table.links.append({"received": appeals_link(base, assignee=person_id)} if person_id else {})
    return table


def _hours(sl: measures.Slice) -> DashTable:
    cells = {(c["weekday"], c["hour"]): c["received"] for c in measures.hour_weekday(sl)}
    cols = columns(*(f"h{h:02d}" for h in range(24)), first="weekday")
    cols = [cols[0]] + [replace(c, label=f"{h:02d}", kind="count") for h, c in enumerate(cols[1:])]
    table = DashTable("hours", _("Appeals received by hour of day and weekday"), cols)
    for day, name in enumerate(weekday_names(), 1):
        table.rows.append({"weekday": name, **{f"h{h:02d}": cells.get((day, h), 0) for h in range(24)}})
    return table


def _incidents(sl: measures.Slice) -> tuple[DashTable, DashTable]:
    """Incidents alarmed in the range by type, and the units' response times (dispatch → on
    scene) by agency, within the slice's grids (a community's: the grids of that community).
    Incidents carry no category or channel, so those filters do not narrow them. Three queries
    (four for a community)."""
    if sl.community_id is not None:
        grids = set(Grid.objects.filter(community_id=sl.community_id).values_list("pk", flat=True))
        sl = replace(sl, grid_ids=frozenset(grids if sl.grid_ids is None else grids & sl.grid_ids))
    figures = measures.incident_table(sl)
    by_type = DashTable("incidents", _("Incidents by type"), columns("incidents", first_label=_("Type")))
    for row in figures["by_type"]:
        by_type.rows.append({"label": row["label"] or _("No type given"), "incidents": row["count"]})
    response = DashTable(
        "response",
        _("Response times by agency (dispatch to on scene)"),
        columns("arrivals", "response_p50_min", "response_p90_min", first_label=_("Agency")),
    )
    agencies = dict(Agency.choices)
    for row in figures["response_by_agency"]:
        response.rows.append({**row, "label": str(agencies.get(row["key"], row["label"]))})
    return by_type, response


def _overdue(department_ids: frozenset[int] | None) -> dict[int, int]:
    """Appeals whose open transfer is overdue now, per department (the queue lists the same)."""
    qs = Transfer.objects.filter(overdue_transfers_q(timezone.now()))
    if department_ids is not None:
        qs = qs.filter(department_id__in=department_ids)
    return dict(
        qs.values_list("department_id")
        .annotate(n=Count("appeal_id", distinct=True))
        .values_list("department_id", "n")
    )


def _transfer_links(filters: dict[str, str], sl: measures.Slice, department_id: int) -> dict[str, str]:
    within = {"category": filters.get("category"), "department": department_id}
    return {
        "transfers": appeals_link(within, transferred_from=sl.start, transferred_to=sl.end),
        "overdue": appeals_link(within, transfer_overdue=1),
        "label": dashboard_url("department", department_id, sl.start, sl.end),
    }


def _departments(sl: measures.Slice, filters: dict[str, str]) -> DashTable:
    overdue = _overdue(None)
    rows = []
    for r in measures.transfer_table(replace(sl, grid_ids=None)):
        dept = int(r["key"])
        rows.append(({**r, "overdue": overdue.get(dept, 0)}, _transfer_links(filters, sl, dept)))
    table = DashTable(
        "departments",
        _("Ranking of departments"),
        columns("rank", *TRANSFER_KEYS, "overdue", first_label=_("Department")),
    )
    for row, links in _ranked(rows, "accept_on_time_rate"):
        table.rows.append({c.key: row.get(c.key) for c in table.columns})
        table.links.append(links)
    return table


# --- the department level ---------------------------------------------------------------------


def _department(target: Target, sl: measures.Slice, step: str, filters: dict[str, str]):
    dept = target.department_id or 0

    def totals(s: measures.Slice) -> dict[str, Any]:
        rows = measures.transfer_table(s, by=None)
        return rows[0] if rows else {"transfers": 0, "returned": 0}

    current = {**totals(sl), "overdue": _overdue(frozenset({dept})).get(dept, 0)}
    earlier = _earlier(sl, totals)
    links = _transfer_links(filters, sl, dept)
    kpis = _kpis(current, earlier, (*TRANSFER_KEYS, "overdue"), links)

    trend = DashTable(
        "trend", _("Trend"), columns("transfers", "accepted", "completed", "returned", first="period")
    )
    counted = _transfer_trend(sl, step)
    for p, first, last in periods(sl.start, sl.end, step):
        row = counted.get(p, {})
        trend.rows.append(
            {
                "period": period_label(p, step),
                **{k: row.get(k, 0) for k in ("transfers", "accepted", "completed", "returned")},
            }
        )
        trend.links.append(
            {
                "transfers": appeals_link(
                    {"category": filters.get("category"), "department": dept},
                    transferred_from=first,
                    transferred_to=last,
                )
            }
        )
    categories = DashTable("categories", _("Categories"), columns(*TRANSFER_KEYS))
    for r in measures.transfer_table(sl, by="category"):
        categories.rows.append({"label": r["label"] or _("No category"), **{k: r[k] for k in TRANSFER_KEYS}})
    chart = Chart(
        name="trend",
        title=_("Transfers received"),
        kind="combo",
        x_label=_("Period"),
        y_label=_("Transfers (count)"),
        categories=[r["period"] for r in trend.rows],
        series=[
            {"name": c.label, "type": "bar", "data": [r[c.key] for r in trend.rows]}
            for c in trend.columns[1:]
        ],
    )
    return (
        kpis,
        [trend, categories],
        [chart, bar_chart(categories, "transfers", _("Transfers, by category"), _("Category"))],
    )


def _transfer_trend(sl: measures.Slice, step: str) -> dict[date, dict[str, int]]:
    """Transfers to the slice's departments per period of their local day, by how they stand,
    from the rollup's per-transfer rows (as every other figure: a transfer counts as accepted
    when it was accepted or completed, as completed when completed). One query."""
    spans = TransferSpan.objects.filter(
        day__gte=sl.start, day__lte=sl.end, department_id__in=sl.department_ids or []
    )
    if sl.category_id is not None:
        spans = spans.filter(category_id=sl.category_id)
    period = F("day") if step == "day" else Trunc("day", step, output_field=DateField())
    rows = (
        spans.annotate(p=period)
        .values("p")
        .annotate(
            transfers=Count("pk"),
            accepted=Count("accept_s"),
            completed=Count("outcome_s"),
            returned=Count("pk", filter=Q(returned=True)),
        )
        .order_by("p")
    )
    return {r["p"].date() if isinstance(r["p"], datetime) else r["p"]: r for r in rows}


def dashboard_url(
    level: str, target_id: int | None, start: date | None = None, end: date | None = None
) -> str:
    """The page of a dashboard, for a range when given."""
    path = (
        reverse("stats:leadership") if level == "leadership" else reverse(f"stats:{level}", args=[target_id])
    )
    return path + (f"?from={start.isoformat()}&to={end.isoformat()}" if start and end else "")


__all__ = [
    "LEVELS",
    "Target",
    "access_dashboard",
    "build_dashboard",
    "build_for",
    "dashboard_targets",
    "dashboard_url",
    "has_figures",
]
