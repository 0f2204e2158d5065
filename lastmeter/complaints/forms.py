"""Input of the complaint pages: the filing form and one small form per action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import Person
from lastmeter.complaints.choices import ComplaintChannel, DecisionKind, EvidenceKind, SubjectKind

# People a complaint can be about: the ones who enforce.
OFFICER_ROLES = (Role.COMMUNITY_POLICE, Role.GRID_MEMBER, Role.LEADERSHIP, Role.DISPATCHER)


def officers() -> Any:
    return Person.objects.filter(active=True, roles__role__in=OFFICER_ROLES).distinct().order_by("name")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:  # type: ignore[override]
        return f"{obj.name} {obj.badge}".strip()


class FileComplaintForm(forms.Form):
    """The complaint form. A resident on the web gives the officer as they know them (badge,
    description); staff recording a call or a visit pick the channel and may name the officer."""

    subject_kind = forms.ChoiceField(label=_("The complaint is about"), choices=SubjectKind.choices)
    decision_number = forms.CharField(label=_("Penalty decision number"), max_length=60, required=False)
    ticket_number = forms.CharField(label=_("Ticket number"), max_length=60, required=False)
    incident_at = forms.DateTimeField(
        label=_("When it happened"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    place = forms.CharField(label=_("Where it happened"), max_length=300, required=False)
    officer_description = forms.CharField(
        label=_("The officer (badge number or description)"), max_length=200, required=False
    )
    text = forms.CharField(
        label=_("What happened, and what do you ask for?"), widget=forms.Textarea(attrs={"rows": 6})
    )
    complainant_name = forms.CharField(label=_("Your name"), max_length=100)
    complainant_phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    complainant_email = forms.EmailField(label=_("E-mail"), required=False)
    complainant_address = forms.CharField(label=_("Postal address"), max_length=300, required=False)


class StaffComplaintForm(FileComplaintForm):
    channel = forms.ChoiceField(label=_("Channel"), choices=ComplaintChannel.choices)
    officer = PersonChoiceField(label=_("Officer concerned"), queryset=Person.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = officers()  # type: ignore[attr-defined]
        self.fields["complainant_name"].label = _("Complainant's name")
        self.order_fields(["channel", "subject_kind", "decision_number", "ticket_number", "officer"])


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000)


class IdentifyOfficerForm(forms.Form):
    officer = PersonChoiceField(label=_("Officer concerned"), queryset=Person.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = officers()  # type: ignore[attr-defined]


class AssignForm(forms.Form):
    """Any active person may be chosen here; the service refuses one who is not independent,
    with the reason (the page lists the eligible ones first)."""

    reviewer = PersonChoiceField(label=_("Reviewer"), queryset=Person.objects.filter(active=True))


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=EvidenceKind.choices)
    description = forms.CharField(
        label=_("Description or statement"), widget=forms.Textarea(attrs={"rows": 3})
    )
    file = forms.FileField(label=_("File"), required=False)


class DecideForm(forms.Form):
    kind = forms.ChoiceField(label=_("Decision"), choices=DecisionKind.choices)
    reasons = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 5}))


ACTION_FORMS: dict[str, type[forms.Form]] = {
    "acknowledge": NoteForm,
    "identify_officer": IdentifyOfficerForm,
    "assign": AssignForm,
    "add_evidence": EvidenceForm,
    "decide": DecideForm,
    "appeal": ReasonForm,
    "close": ReasonForm,
    "withdraw": ReasonForm,
    "note": NoteForm,
}


class StatementForm(forms.Form):
    """The officer concerned's statement (statements.do_submit_statement checks the rest)."""

    text = forms.CharField(
        label=_("Your statement"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What happened, from your side. The reviewer reads it as evidence."),
    )
