"""Template filters that show intake's codes as words: ``{% load intake_labels %}`` …
``{{ code|intake_decision }}``. A code the enumeration does not know is shown as it is."""

from __future__ import annotations

from django import template

from lastmeter.intake.choices import Decision

register = template.Library()


@register.filter
def intake_decision(value):
    return dict(Decision.choices).get(value, value)
