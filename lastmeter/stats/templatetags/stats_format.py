"""Template filters of the dashboards: a figure as the page shows it, and as a table sorts it."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def stat(value: Any, kind: str) -> str:
    """A figure as text: rates and changes in %, hours, minutes and days with one decimal, "—" when undefined."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "change":
        return f"{value * 100:+.1f}%"
    if kind in ("hours", "minutes", "days"):
        return f"{value:.1f}"
    if kind == "score":
        return f"{value:.2f}"
    return str(value)


@register.filter
def sort_key(value: Any) -> str:
    """The value a table sorts by: the number itself, or empty for text and undefined figures
    (sorted last)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    return repr(value)


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    """mapping[key] in a template (a table's export links, a level's title)."""
    return mapping.get(key, "")
