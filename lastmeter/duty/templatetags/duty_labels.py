"""Labels of the duty app's codes in templates (agencies and campaign states, translated)."""

from __future__ import annotations

from django import template

from lastmeter.dispatching.choices import Agency
from lastmeter.duty.choices import CampaignState

register = template.Library()


@register.filter
def agency_label(code: str) -> str:
    return str(dict(Agency.choices).get(code, code))


@register.filter
def campaign_state(code: str) -> str:
    return str(dict(CampaignState.choices).get(code, code))


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.0f}%"
