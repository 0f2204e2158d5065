"""Enumerations of grid planning and the one transition table of a grid plan."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from lastmeter.lib.transitions import TransitionError, check_transition


class UnitKind(models.TextChoices):
    SEGMENT = "segment", _("Road segment")
    BLOCK = "block", _("Block")


class PlanState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PREVIEWED = "previewed", _("Previewed")
    ADOPTED = "adopted", _("Adopted")
    DISCARDED = "discarded", _("Discarded")


class PlanMethod(models.TextChoices):
    AUTO = "auto", _("Automatic (exact when small)")
    EXACT = "exact", _("Exact (MILP)")
    HEURISTIC = "heuristic", _("Heuristic")


# The algorithm's name for each method (planning.algorithms.partition).
ALGORITHM_METHOD = {PlanMethod.AUTO: "auto", PlanMethod.EXACT: "milp", PlanMethod.HEURISTIC: "heuristic"}

P = PlanState
# previewed → draft: the planner changed K or the weights, so the result no longer matches them.
# previewed → previewed: the partition is run again, or a unit is moved by hand.
PLAN_TRANSITIONS: dict[str, frozenset[str]] = {
    P.DRAFT: frozenset({P.PREVIEWED, P.DISCARDED}),
    P.PREVIEWED: frozenset({P.DRAFT, P.PREVIEWED, P.ADOPTED, P.DISCARDED}),
    P.ADOPTED: frozenset(),
    P.DISCARDED: frozenset(),
}
OPEN_PLAN_STATES = frozenset({P.DRAFT, P.PREVIEWED})


class PlanTransitionError(TransitionError):
    """A plan action its state does not allow (HTTP 409)."""


def check_plan_transition(current: str, target: str) -> None:
    """Raise PlanTransitionError (with a message naming both states) unless the table allows it."""
    try:
        check_transition(PLAN_TRANSITIONS, current, target, "grid plan")
    except TransitionError:
        names = {"current": PlanState(current).label, "target": PlanState(target).label}
        if not PLAN_TRANSITIONS.get(current):
            message = gettext(
                "This plan is “%(current)s”, which is final: create a new plan to change the grids."
            )
        elif target == P.ADOPTED:
            message = gettext("This plan is “%(current)s”: run the partition first, then adopt it.")
        else:
            message = gettext("This plan is “%(current)s”: it cannot become “%(target)s”.")
        raise PlanTransitionError(message % names) from None


class PlatformKind(models.TextChoices):
    PLATFORM = "platform", _("Police service platform")
    STATION = "station", _("Police station")
    POST = "post", _("Traffic police post")
