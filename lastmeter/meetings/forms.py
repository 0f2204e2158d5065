"""Input of the meetings pages: scheduling, one small form per action, the counter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lastmeter.accounts.models import Department, OrgUnit, Person
from lastmeter.meetings.choices import AttendeeKind, CounterKind, ItemKind
from lastmeter.meetings.models import AgendaItem, Meeting

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class NewMeetingForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=OrgUnit.objects.none())
    title = forms.CharField(label=_("Title"), max_length=200)
    held_at = forms.DateTimeField(label=_("Meeting time"), widget=DATETIME)
    place = forms.CharField(label=_("Place"), max_length=200)

    def __init__(self, *args: Any, communities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities  # type: ignore[attr-defined]


class MeetingForm(forms.Form):
    """An action's form; its choice fields list only the meeting's own agenda items."""

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "item" in self.fields:
            items = meeting.items.all()
            if getattr(self, "report_backs_only", False):
                items = items.filter(kind=ItemKind.REPORT_BACK)
            self.fields["item"].queryset = items  # type: ignore[attr-defined]


class ItemForm(MeetingForm):
    title = forms.CharField(label=_("Agenda item"), max_length=300)


class AttendeeForm(MeetingForm):
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    kind = forms.ChoiceField(label=_("Attends as"), choices=AttendeeKind.choices)
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.all(), required=False
    )


class MinutesForm(MeetingForm):
    minutes = forms.CharField(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 4}))


class DecideForm(MeetingForm):
    item = forms.ModelChoiceField(label=_("Agenda item"), queryset=AgendaItem.objects.none(), required=False)
    decision = forms.CharField(label=_("Decision"), widget=forms.Textarea(attrs={"rows": 2}))
    task = forms.CharField(label=_("What is to be done"), max_length=1000)
    # Not required here: the service refuses a decision without an owner with its own message.
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=Person.objects.filter(active=True), required=False
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.all(), required=False
    )
    working_days = forms.IntegerField(label=_("Working days"), min_value=1, max_value=120, initial=10)


class ReportBackForm(MeetingForm):
    report_backs_only = True
    item = forms.ModelChoiceField(label=_("Report-back"), queryset=AgendaItem.objects.none())
    report = forms.CharField(label=_("What the owner reported"), max_length=2000)
    done = forms.BooleanField(label=_("Done"), required=False)


class CloseForm(MeetingForm):
    pass


ACTION_FORMS: dict[str, type[MeetingForm]] = {
    "add_item": ItemForm,
    "add_attendee": AttendeeForm,
    "minutes": MinutesForm,
    "decide": DecideForm,
    "report_back": ReportBackForm,
    "close": CloseForm,
}


class ArrivalForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=OrgUnit.objects.none())
    kind = forms.ChoiceField(label=_("Kind of matter"), choices=CounterKind.choices)
    matter = forms.CharField(label=_("Matter"), max_length=300)
    visitor = forms.CharField(label=_("Visitor"), max_length=100, required=False)

    def __init__(self, *args: Any, communities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities  # type: ignore[attr-defined]


class FinishForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome"), max_length=300, required=False)
