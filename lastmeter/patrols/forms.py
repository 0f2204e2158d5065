"""Input of the patrol pages: a new plan, a plan's state, assigning a team, the phone's check-in
and sighting forms, a new team and a member's skills and availability."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lastmeter.accounts.choices import OrgKind
from lastmeter.accounts.models import OrgUnit, Person
from lastmeter.patrols.choices import Band, CheckKind, PlanState, PointSource, TeamKind
from lastmeter.patrols.models import PatrolTeam


class PlanForm(forms.Form):
    community = forms.ModelChoiceField(
        label=_("Community"), queryset=OrgUnit.objects.filter(kind=OrgKind.COMMUNITY)
    )
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    band = forms.ChoiceField(label=_("Time of day"), choices=Band.choices)
    source = forms.ChoiceField(label=_("Hotspots of"), choices=PointSource.choices)
    history_days = forms.IntegerField(label=_("Days of history"), min_value=7, max_value=1100, initial=90)
    cell_m = forms.FloatField(label=_("Cell size (m)"), min_value=50, max_value=5000, initial=250)
    max_cells = forms.IntegerField(
        label=_("At most this many hot cells"), min_value=1, max_value=50, initial=8
    )


class PlanStateForm(forms.Form):
    state = forms.ChoiceField(choices=PlanState.choices)


class AssignTeamForm(forms.Form):
    team = forms.ModelChoiceField(label=_("Team"), queryset=PatrolTeam.objects.filter(active=True))


class CheckForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CheckKind.choices)
    lat = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180)


class SightingForm(forms.Form):
    text = forms.CharField(label=_("What you saw"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.CharField(label=_("Category code"), max_length=60, required=False)
    lat = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180)


class TeamForm(forms.Form):
    """A new patrol team (``teams.do_create_team`` checks the community is the viewer's)."""

    community = forms.ModelChoiceField(
        label=_("Community"), queryset=OrgUnit.objects.filter(kind=OrgKind.COMMUNITY)
    )
    name = forms.CharField(label=_("Team name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=TeamKind.choices)


class MemberForm(forms.Form):
    """A member's skills and availability (and, when adding, who)."""

    person = forms.ModelChoiceField(label=_("Person"), queryset=Person.objects.none(), required=False)
    skills = forms.CharField(
        label=_("Skills"), max_length=200, required=False, help_text=_("Comma-separated, e.g. 急救,交通疏导")
    )
    bands = forms.MultipleChoiceField(
        label=_("Can patrol in"),
        choices=Band.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any time of day."),
    )
