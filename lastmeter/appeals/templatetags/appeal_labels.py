"""Template filters that show an appeal's codes (states, timeline kinds, channels)
as the words of the viewer's language: ``{% load appeal_labels %}`` … ``{{ row.state|appeal_state }}``.

The presenters keep codes (the API returns them); the pages translate them here. A code the
enumeration does not know is shown as it is.
"""

from __future__ import annotations

from django import template
from django.db.models import Choices

from lastmeter.appeals.choices import AppealState, Channel, EventKind

register = template.Library()


def choice_label(choices: type[Choices], value):
    """The label of ``value`` in ``choices``, or ``value`` itself when it is not one of them."""
    return dict(choices.choices).get(value, value)


@register.filter
def appeal_state(value):
    return choice_label(AppealState, value)


@register.filter
def event_kind(value):
    return choice_label(EventKind, value)


@register.filter
def channel(value):
    return choice_label(Channel, value)
