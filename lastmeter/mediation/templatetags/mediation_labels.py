"""Labels of the mediation codes for templates (states, timeline kinds)."""

from __future__ import annotations

from django import template

from lastmeter.mediation.choices import CaseEventKind, CaseState

register = template.Library()


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


@register.filter
def case_state(value: str) -> str:
    return _label(CaseState, value) if value else ""


@register.filter
def case_event(value: str) -> str:
    return _label(CaseEventKind, value)
