"""Who may see which figures, and the checking of a request's slice (dates, grid, category …).

Scope, as everywhere: leadership, dispatchers and administrators see the whole jurisdiction; a
community police officer the grids of their communities and the grids they are responsible for;
a grid member their grids; a department liaison only the transfers to their department; anyone
else (a resident) nothing. A grid or community outside the viewer's scope is answered exactly
like one that does not exist (404), so probing ids tells nothing.

Every refusal of bad input is a ``ServiceError`` (400) with a sentence in the user's language.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from lastmeter.accounts.models import OrgUnit, Person
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.choices import Channel
from lastmeter.appeals.models import Category
from lastmeter.grids.models import Grid
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.stats.measures import DIMENSIONS, PERIODS, Slice
from lastmeter.stats.rollups import local_day

MAX_DAYS = 5 * 366  # the longest range asked for at once: five years
MAX_DAILY_DAYS = 366  # a daily series covers at most a year
DEFAULT_DAYS = 30
COMPARES = ("mom", "yoy")


def visible_grid_ids(scope: Scope) -> frozenset[int] | None:
    """The grids whose appeals the viewer may count; None for the whole jurisdiction."""
    if scope.jurisdiction_wide:
        return None
    ids = set(scope.grid_ids)
    if scope.community_ids:
        ids.update(Grid.objects.filter(community_id__in=scope.community_ids).values_list("id", flat=True))
    return frozenset(ids)


def require_appeal_figures(scope: Scope) -> frozenset[int] | None:
    """The viewer's grids for appeal figures, or a refusal saying what they may see instead."""
    grids = visible_grid_ids(scope)
    if grids is None or grids:
        return grids
    if scope.department_ids:
        raise NotAllowed(
            _("Department liaisons see the figures of the transfers to their department (/stats/transfers).")
        )
    raise NotAllowed(_("Figures are for police staff and grid members; you have no area to see figures of."))


def require_transfer_figures(scope: Scope) -> tuple[frozenset[int] | None, frozenset[int] | None]:
    """(grid ids, department ids) limiting the transfers the viewer may count."""
    grids = visible_grid_ids(scope)
    if grids is None:
        return None, None
    if scope.department_ids:
        return None, frozenset(scope.department_ids)
    if grids:
        return grids, None
    raise NotAllowed(_("Figures are for police staff and grid members; you have no area to see figures of."))


def require_fleet_figures(scope: Scope) -> None:
    """The fleet (units of every agency) serves the whole jurisdiction: its figures are for
    jurisdiction-wide staff; anyone else is told so (403)."""
    if not scope.jurisdiction_wide:
        raise NotAllowed(_("The fleet's figures are for leadership and command staff."))


@dataclass(frozen=True)
class Request:
    """A checked request: the slice, the period, the dimension and the comparison."""

    slice: Slice
    period: str | None
    by: str | None
    compare: str | None


def parse_date(value: str | None, name: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ServiceError(
            _("“%(value)s” is not a date for “%(name)s”; write it as YYYY-MM-DD.")
            % {"value": value, "name": name}
        ) from None


def check_dates(start: str | None, end: str | None, *, period: str | None) -> tuple[date, date]:
    """The local date range asked for (default: the last 30 days up to today), refused when
    backwards, longer than five years, or daily over more than a year."""
    last = parse_date(end, "to") or local_day(timezone.now())
    first = parse_date(start, "from") or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ServiceError(
            _("The start date %(from)s is after the end date %(to)s; swap them.")
            % {"from": first.isoformat(), "to": last.isoformat()}
        )
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise ServiceError(
            _("%(days)d days is too long a range; ask for at most five years at once.") % {"days": days}
        )
    if period == "day" and days > MAX_DAILY_DAYS:
        raise ServiceError(
            _("A daily series covers at most a year (%(days)d days asked for); use period=week or month.")
            % {"days": days}
        )
    return first, last


def _grid_id(scope_grids: frozenset[int] | None, value: str) -> int:
    grid = Grid.objects.filter(code=value).values_list("id", flat=True).first()
    if grid is None and value.isdigit():
        grid = Grid.objects.filter(pk=int(value)).values_list("id", flat=True).first()
    if grid is None or (scope_grids is not None and grid not in scope_grids):
        raise Http404(_("No grid “%(grid)s” among the grids you may see.") % {"grid": value})
    return grid


def _community_id(scope_grids: frozenset[int] | None, value: str) -> int:
    qs = OrgUnit.objects.filter(kind="community")
    found = qs.filter(code=value).values_list("id", flat=True).first()
    if found is None and value.isdigit():
        found = qs.filter(pk=int(value)).values_list("id", flat=True).first()
    visible = found is not None and (
        scope_grids is None or Grid.objects.filter(community_id=found, pk__in=scope_grids).exists()
    )
    if not visible:
        raise Http404(
            _("No community “%(community)s” among the communities you may see.") % {"community": value}
        )
    return found  # type: ignore[return-value]


def _category_id(value: str) -> int:
    found = Category.objects.filter(code=value).values_list("id", flat=True).first()
    if found is None and value.isdigit():
        found = Category.objects.filter(pk=int(value)).values_list("id", flat=True).first()
    if found is None:
        raise ServiceError(_("Unknown category “%(category)s”; use a category code.") % {"category": value})
    return found


def _officer_id(scope_grids: frozenset[int] | None, value: str) -> int:
    found = (
        Person.objects.filter(pk=int(value)).values_list("id", flat=True).first() if value.isdigit() else None
    )
    if found is None:
        raise Http404(_("No officer “%(officer)s”.") % {"officer": value})
    return found


def check_request(
    grids: frozenset[int] | None,
    *,
    start: str | None,
    end: str | None,
    period: str | None,
    by: str | None,
    compare: str | None,
    grid: str | None = None,
    community: str | None = None,
    category: str | None = None,
    channel: str | None = None,
    officer: str | None = None,
    dimensions: tuple[str, ...] = tuple(DIMENSIONS),
) -> Request:
    """Check every parameter of a figures request against the data and the viewer's ``grids``."""
    period = period or None
    by = by or None
    compare = compare or None
    if period is not None and period not in PERIODS:
        raise ServiceError(
            _("Unknown period “%(period)s”; use one of: %(choices)s.")
            % {"period": period, "choices": ", ".join(PERIODS)}
        )
    if by is not None and by not in dimensions:
        raise ServiceError(
            _("Cannot break figures down by “%(by)s”; use one of: %(choices)s.")
            % {"by": by, "choices": ", ".join(dimensions)}
        )
    if compare is not None and compare not in COMPARES:
        raise ServiceError(
            _("Unknown comparison “%(compare)s”; use mom (previous period) or yoy (a year earlier).")
            % {"compare": compare}
        )
    first, last = check_dates(start, end, period=period)
    if channel and channel not in Channel.values:
        raise ServiceError(
            _("Unknown channel “%(channel)s”; use one of: %(choices)s.")
            % {"channel": channel, "choices": ", ".join(Channel.values)}
        )
    sl = Slice(
        start=first,
        end=last,
        grid_ids=grids,
        community_id=_community_id(grids, community) if community else None,
        category_id=_category_id(category) if category else None,
        channel=channel or None,
        officer_id=_officer_id(grids, officer) if officer else None,
    )
    if grid:
        sl = replace(sl, grid_ids=frozenset({_grid_id(grids, grid)}))
    return Request(slice=sl, period=period, by=by, compare=compare)


__all__ = [
    "MAX_DAYS",
    "Request",
    "check_dates",
    "check_request",
    "parse_date",
    "require_appeal_figures",
    "require_fleet_figures",
    "require_transfer_figures",
    "visible_grid_ids",
]
