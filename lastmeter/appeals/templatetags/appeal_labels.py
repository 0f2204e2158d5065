"""Template filters that show an appeal's codes (states, clocks, timeline kinds, channels, actions)
as the words of the viewer's language: ``{% load appeal_labels %}`` … ``{{ row.state|appeal_state }}``.

The presenters keep codes (the API returns them); the pages translate them here. A code the
enumeration does not know is shown as it is.
"""

from __future__ import annotations

from django import template
from django.db.models import Choices
from django.utils.translation import gettext_lazy as _

from lastmeter.appeals.choices import AppealState, Channel, ClockKind, ClockState, EventKind, TransferState

register = template.Library()

# The pages' name for each action of lastmeter.appeals.actions (the buttons of the detail page).
ACTION_LABELS = {
    "acknowledge": _("Acknowledge"),
    "contact": _("Reporter contacted"),
    "land": _("Land on site"),
    "resolve": _("Resolve"),
    "close": _("Close appeal"),
    "reopen": _("Reopen appeal"),
    "pause": _("Pause clocks"),
    "resume": _("Resume clocks"),
    "merge": _("Merge"),
    "assign": _("Assign"),
    "note": _("Add note"),
    "transfer": _("Transfer"),
    "accept_transfer": _("Accept transfer"),
    "return_transfer": _("Return"),
    "complete_transfer": _("Report outcome"),
}


def choice_label(choices: type[Choices], value):
    """The label of ``value`` in ``choices``, or ``value`` itself when it is not one of them."""
    return dict(choices.choices).get(value, value)


@register.filter
def appeal_state(value):
    return choice_label(AppealState, value)


@register.filter
def clock_kind(value):
    return choice_label(ClockKind, value)


@register.filter
def clock_state(value):
    return choice_label(ClockState, value)


@register.filter
def event_kind(value):
    return choice_label(EventKind, value)


@register.filter
def channel(value):
    return choice_label(Channel, value)


@register.filter
def transfer_state(value):
    return choice_label(TransferState, value)


@register.filter
def appeal_action(value):
    return ACTION_LABELS.get(value, value)
