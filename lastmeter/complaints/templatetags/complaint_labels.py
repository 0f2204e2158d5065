"""Labels of the complaints' codes for templates (states, timeline kinds, clocks)."""

from __future__ import annotations

from django import template

from lastmeter.appeals.choices import ClockState
from lastmeter.complaints.choices import ComplaintClockKind, ComplaintEventKind, ComplaintState

register = template.Library()


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


@register.filter
def complaint_state(value: str) -> str:
    return _label(ComplaintState, value) if value else ""


@register.filter
def complaint_event(value: str) -> str:
    return _label(ComplaintEventKind, value)


@register.filter
def complaint_clock(value: str) -> str:
    return _label(ComplaintClockKind, value)


@register.filter
def clock_state(value: str) -> str:
    return _label(ClockState, value)
