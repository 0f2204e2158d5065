"""Input of the dashboard pages and their exports: the date range (two dates, or a quick range
such as "last month"), the trend's period, a category or channel, and for exports the table and
the file format.

The range is checked by ``stats.selectors.check_dates`` — the same sentences the API answers — so
a backwards range or twenty years is refused the same way everywhere.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lastmeter.lib.errors import ServiceError
from lastmeter.stats.measures import PERIODS
from lastmeter.stats.rollups import local_day
from lastmeter.stats.selectors import check_dates, parse_date

QUICK_RANGES = (
    ("this_week", _("This week")),
    ("last_week", _("Last week")),
    ("this_month", _("This month")),
    ("last_month", _("Last month")),
    ("this_year", _("This year")),
)
PERIOD_NAMES = {
    "day": _("Day"),
    "week": _("Week"),
    "month": _("Month"),
    "quarter": _("Quarter"),
    "year": _("Year"),
}
PERIOD_CHOICES = (("", _("Automatic")), *((p, PERIOD_NAMES[p]) for p in PERIODS))


def quick_range(name: str, today: date) -> tuple[date, date]:
    """The dates of a quick range, ending today for the running week, month and year."""
    monday = today - timedelta(days=today.weekday())
    first_of_month = today.replace(day=1)
    if name == "this_week":
        return monday, today
    if name == "last_week":
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if name == "this_month":
        return first_of_month, today
    if name == "last_month":
        last = first_of_month - timedelta(days=1)
        return last.replace(day=1), last
    return today.replace(month=1, day=1), today


class DashboardForm(forms.Form):
    """?from=YYYY-MM-DD&to=YYYY-MM-DD (or quick=last_month)&period=&category=&channel=."""

    quick = forms.ChoiceField(required=False, choices=QUICK_RANGES)
    period = forms.ChoiceField(required=False, choices=PERIOD_CHOICES)
    category = forms.CharField(required=False, max_length=120)
    channel = forms.CharField(required=False, max_length=20)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "from" and "to", as in the API, are not Python names: the fields are added here.
        self.fields["from"] = forms.CharField(required=False, max_length=20)
        self.fields["to"] = forms.CharField(required=False, max_length=20)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            if data.get("quick"):
                first, last = quick_range(data["quick"], local_day(timezone.now()))
            else:
                first = parse_date(data.get("from"), "from")  # type: ignore[assignment]
                last = parse_date(data.get("to"), "to")  # type: ignore[assignment]
            data["start"], data["end"] = check_dates(
                first.isoformat() if first else None,
                last.isoformat() if last else None,
                period=data.get("period") or None,
            )
        except ServiceError as exc:
            raise forms.ValidationError(str(exc)) from None
        return data

    def options(self) -> dict[str, Any]:
        """What build_dashboard takes besides the range (call after is_valid())."""
        d = self.cleaned_data
        return {
            "period": d.get("period") or None,
            "category": d.get("category") or None,
            "channel": d.get("channel") or None,
        }


class ExportForm(DashboardForm):
    """The dashboard's input, the table (none: the whole dashboard, XLSX only) and the format."""

    table = forms.SlugField(required=False, max_length=40)
    format = forms.ChoiceField(choices=(("csv", "CSV"), ("xlsx", "XLSX")))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("format") == "csv" and not data.get("table"):
            raise forms.ValidationError(
                _("A CSV file holds one table: name it with table=…, or ask for XLSX.")
            )
        return data


__all__ = ["QUICK_RANGES", "DashboardForm", "ExportForm", "quick_range"]
