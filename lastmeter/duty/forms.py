"""Input of the duty and campaign pages (Django forms; the services check the rest)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lastmeter.accounts.choices import OrgKind
from lastmeter.accounts.models import DutyShift, OrgUnit
from lastmeter.appeals.models import Category
from lastmeter.dispatching.choices import Agency
from lastmeter.dispatching.models import Unit
from lastmeter.duty.choices import CampaignState, PostKind
from lastmeter.lib.forms import FiniteFloatField

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def communities() -> Any:
    return OrgUnit.objects.filter(kind=OrgKind.COMMUNITY)


class PostForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind of post"), choices=PostKind.choices)
    community = forms.ModelChoiceField(label=_("Community"), queryset=communities())
    lat = FiniteFloatField(name="lat", label=_("Latitude"), required=True)
    lon = FiniteFloatField(name="lon", label=_("Longitude"), required=True)
    radius_m = forms.IntegerField(label=_("Radius (m)"), min_value=20, max_value=2000, initial=150)


class DraftForm(forms.Form):
    days = forms.IntegerField(label=_("Figures of the last N days"), min_value=7, max_value=730, initial=90)


class HoursForm(forms.Form):
    agency = forms.ChoiceField(label=_("Agency"), choices=Agency.choices)
    start_hour = forms.IntegerField(label=_("From hour"), min_value=0, max_value=23)
    end_hour = forms.IntegerField(label=_("To hour"), min_value=1, max_value=24)


class ShiftField(forms.ModelChoiceField):
    def label_from_instance(self, obj: DutyShift) -> str:  # type: ignore[override]
        return f"{obj.person.name} {obj.starts_at.astimezone():%m-%d %H:%M}–{obj.ends_at.astimezone():%H:%M}"


class AssignForm(forms.Form):
    shift = ShiftField(label=_("Shift"), queryset=DutyShift.objects.select_related("person"))
    agency = forms.ChoiceField(label=_("Agency"), choices=Agency.choices)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.all(), required=False)


class DayForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=DATE, required=False)


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    target = forms.CharField(label=_("Target"), max_length=200)
    community = forms.ModelChoiceField(label=_("Community"), queryset=communities())
    category = forms.ModelChoiceField(
        label=_("Target category"), queryset=Category.objects.all(), required=False
    )
    lat = FiniteFloatField(name="lat", label=_("Latitude"))
    lon = FiniteFloatField(name="lon", label=_("Longitude"))
    radius_m = forms.IntegerField(label=_("Radius (m)"), min_value=20, max_value=5000, required=False)
    area = forms.CharField(
        label=_("Area polygon (GeoJSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Instead of a point and a radius."),
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE)
    agencies = forms.MultipleChoiceField(
        label=_("Participating agencies"), choices=Agency.choices, widget=forms.CheckboxSelectMultiple
    )
    units = forms.ModelMultipleChoiceField(
        label=_("Participating units"), queryset=Unit.objects.all(), required=False
    )

    def clean_area(self) -> dict | None:
        text = self.cleaned_data["area"].strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("The target area is not a GeoJSON polygon.")) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("The target area is not a GeoJSON polygon."))
        return value


class ResultForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=DATE)
    cases_handled = forms.IntegerField(label=_("Cases handled"), min_value=0, initial=0)
    penalties = forms.IntegerField(label=_("Penalties"), min_value=0, initial=0)
    appeals_resolved = forms.IntegerField(label=_("Appeals resolved"), min_value=0, initial=0)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class MoveForm(forms.Form):
    target = forms.ChoiceField(choices=CampaignState.choices)
