"""Template filters that show grid planning's codes as words: ``{% load planning_labels %}`` …
``{{ plan.state|plan_state }}``. The API keeps the codes; a code not listed here is shown as it is."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from lastmeter.planning.choices import PlanMethod, PlanState

register = template.Library()

# The workload factors of a basic unit (planning.models.FACTOR_FIELDS).
FACTOR_LABELS = {
    "drivers_or_population": _("drivers or population"),
    "road_km": _("road length (km)"),
    "accidents": _("accidents"),
    "difficulty": _("order-maintenance appeals"),
}
# What the partition algorithm ran, and how it ended (planning.algorithms.partition).
SOLVER_LABELS = {"milp": _("exact (MILP)"), "heuristic": _("heuristic"), "auto": _("automatic")}
SOLVER_STATUS_LABELS = {
    "optimal": _("optimal"),
    "time_limit": _("stopped at the time limit"),
    "feasible": _("feasible"),
    "out_of_band": _("outside the balance band"),
}
GAP_SOURCE_LABELS = {"milp": _("the solver's bound"), "milp_reference": _("against the proven optimum")}
# Where the service-area analysis takes its incident rates from (planning.platforms.incident_rates).
RATE_LABELS = {"appeals": _("appeals of the last year"), "uniform": _("every intersection alike")}


@register.filter
def plan_state(value):
    return dict(PlanState.choices).get(value, value)


@register.filter
def plan_method(value):
    return dict(PlanMethod.choices).get(value, value)


@register.filter
def factor(value):
    return FACTOR_LABELS.get(value, value)


@register.filter
def solver(value):
    return SOLVER_LABELS.get(value, value)


@register.filter
def solver_status(value):
    return SOLVER_STATUS_LABELS.get(value, value)


@register.filter
def gap_source(value):
    return GAP_SOURCE_LABELS.get(value, value)


@register.filter
def rates(value):
    return RATE_LABELS.get(value, value)


@register.filter
def intersection(row):
    """An intersection row of planning.platforms (``node_row``) in words: its streets, else the
    streets nearest it, else its road-map node id — as the service-areas script does."""
    if row.get("streets"):
        return " / ".join(row["streets"])
    if row.get("near"):
        return _("near {streets}").format(streets=" / ".join(row["near"]))
    return _("intersection {node} of the road map").format(node=row.get("node"))
