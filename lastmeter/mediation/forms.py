"""Input of the mediation pages: opening a case and one small form per action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lastmeter.accounts.choices import OrgKind
from lastmeter.accounts.models import Department, OrgUnit, Person
from lastmeter.mediation.choices import DisputeType, MediatorKind, PartySide, ReferralTarget
from lastmeter.mediation.models import FollowUp, MediationCase, Party

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class NewCaseForm(forms.Form):
    appeal_reference = forms.CharField(
        label=_("From appeal (reference)"), max_length=32, required=False, help_text=_("Empty for a walk-in.")
    )
    dispute_type = forms.ChoiceField(label=_("Type of dispute"), choices=DisputeType.choices)
    summary = forms.CharField(label=_("What the dispute is about"), widget=forms.Textarea(attrs={"rows": 3}))
    mediator = forms.ModelChoiceField(label=_("Mediator"), queryset=Person.objects.filter(active=True))
    mediator_kind = forms.ChoiceField(label=_("Mediator's role"), choices=MediatorKind.choices)
    community = forms.ModelChoiceField(
        label=_("Community"), queryset=OrgUnit.objects.filter(kind=OrgKind.COMMUNITY), required=False
    )
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    applicant_name = forms.CharField(label=_("Applicant"), max_length=100, required=False)
    applicant_phone = forms.CharField(label=_("Applicant's phone"), max_length=40, required=False)
    respondent_name = forms.CharField(label=_("Respondent"), max_length=100, required=False)
    respondent_phone = forms.CharField(label=_("Respondent's phone"), max_length=40, required=False)


class CasePartyField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Party) -> str:  # type: ignore[override]
        return f"{obj.name}（{obj.get_side_display()}）"


class VisitField(forms.ModelChoiceField):
    def label_from_instance(self, obj: FollowUp) -> str:  # type: ignore[override]
        return f"{obj.due_on:%Y-%m-%d} · {obj.get_state_display()}"


class CaseForm(forms.Form):
    """An action's form; its choice fields list only the case's own parties and visits."""

    def __init__(self, *args: Any, case: MediationCase, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "party" in self.fields:
            self.fields["party"].queryset = case.parties.all()  # type: ignore[attr-defined]
        if "follow_up" in self.fields:
            self.fields["follow_up"].queryset = case.follow_ups.filter(  # type: ignore[attr-defined]
                state__in=["scheduled", "overdue"]
            )


class PartyForm(CaseForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    side = forms.ChoiceField(label=_("Side"), choices=PartySide.choices)


class ConsentForm(CaseForm):
    party = CasePartyField(label=_("Party"), queryset=Party.objects.none())
    how = forms.CharField(label=_("How consent was given"), max_length=200)


class SessionForm(CaseForm):
    held_at = forms.DateTimeField(label=_("Held at"), widget=DATETIME)
    place = forms.CharField(label=_("Place"), max_length=200)
    attendees = forms.CharField(label=_("Attendees"), max_length=1000)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}))


class AgreementForm(CaseForm):
    text = forms.CharField(label=_("Agreement"), widget=forms.Textarea(attrs={"rows": 3}))
    terms = forms.CharField(label=_("Terms (one per line)"), widget=forms.Textarea(attrs={"rows": 3}))


class ConfirmForm(CaseForm):
    party = CasePartyField(label=_("Party"), queryset=Party.objects.none())
    how = forms.CharField(label=_("How they confirmed"), max_length=200)


class ConcludeForm(CaseForm):
    partial = forms.BooleanField(label=_("Only part of the dispute is settled"), required=False)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class NoteForm(CaseForm):
    note = forms.CharField(label=_("Note"), max_length=2000)


class ReferForm(CaseForm):
    target = forms.ChoiceField(label=_("Referred to"), choices=ReferralTarget.choices)
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.all(), required=False
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class FollowUpForm(CaseForm):
    follow_up = VisitField(label=_("Visit"), queryset=FollowUp.objects.none())
    kept = forms.BooleanField(label=_("The agreement is kept"), required=False)
    note = forms.CharField(label=_("What the visit found"), max_length=2000)


class CloseForm(CaseForm):
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


ACTION_FORMS: dict[str, type[CaseForm]] = {
    "add_party": PartyForm,
    "consent": ConsentForm,
    "session": SessionForm,
    "draft_agreement": AgreementForm,
    "confirm": ConfirmForm,
    "conclude": ConcludeForm,
    "fail": NoteForm,
    "refer": ReferForm,
    "follow_up": FollowUpForm,
    "close": CloseForm,
    "note": NoteForm,
}
