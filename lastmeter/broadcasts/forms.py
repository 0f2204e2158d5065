"""Page input of broadcasts and alerts, through Django forms (choices limited to the viewer's scope)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lastmeter.accounts.choices import OrgKind
from lastmeter.accounts.models import Department, OrgUnit
from lastmeter.accounts.selectors import Scope
from lastmeter.broadcasts.choices import AlertKind, BroadcastKind, Repeat
from lastmeter.broadcasts.models import Audience, ChatGroup
from lastmeter.broadcasts.selectors import scope_community_ids, visible_audiences
from lastmeter.broadcasts.services import AudienceSpec
from lastmeter.grids.models import Grid
from lastmeter.lib.forms import FiniteFloatField

COMPOSE_KINDS = [
    (k, label)
    for k, label in BroadcastKind.choices
    if k not in (BroadcastKind.ALERT, BroadcastKind.STAND_DOWN)
]


def parse_variables(text: str) -> dict[str, str]:
    """Lines of ``name=value`` (or ``name：value``) into a dict; blank lines are skipped."""
    out: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        for sep in ("=", "：", ":"):
            if sep in line:
                name, value = line.split(sep, 1)
                break
        else:
            raise ValidationError(_("Line %(n)d is not name=value."), params={"n": n})
        name = name.strip()
        if not name.isidentifier():
            raise ValidationError(_("%(name)s is not a variable name."), params={"name": name})
        out[name] = value.strip()
    return out


class ScopedForm(forms.Form):
    """A form whose community, grid and group choices are those the viewer may send to."""

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = scope_community_ids(scope)
        communities = OrgUnit.objects.filter(kind=OrgKind.COMMUNITY).order_by("name")
        grids = Grid.objects.filter(active=True).select_related("community").order_by("code")
        groups = ChatGroup.objects.order_by("name")
        if allowed is not None:
            communities = communities.filter(id__in=allowed)
            grids = grids.filter(community_id__in=allowed)
            groups = groups.filter(community_id__in=allowed)
        for name, qs in (("communities", communities), ("grids", grids), ("groups", groups)):
            if name in self.fields:
                self.fields[name].queryset = qs  # type: ignore[attr-defined]
        if "saved_audience" in self.fields:
            self.fields["saved_audience"].queryset = visible_audiences(scope)  # type: ignore[attr-defined]


class AudienceFields(forms.Form):
    """Who an audience reaches: shared by the compose form and the saved-audience form."""

    communities = forms.ModelMultipleChoiceField(
        label=_("Communities"), queryset=OrgUnit.objects.none(), required=False
    )
    grids = forms.ModelMultipleChoiceField(label=_("Grids"), queryset=Grid.objects.none(), required=False)
    groups = forms.ModelMultipleChoiceField(
        label=_("Chat groups"), queryset=ChatGroup.objects.none(), required=False
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("Department liaisons"), queryset=Department.objects.order_by("name"), required=False
    )
    area_groups = forms.BooleanField(
        label=_("the chat groups of these communities and grids"), required=False, initial=True
    )
    grid_members = forms.BooleanField(label=_("grid members"), required=False)
    building_heads = forms.BooleanField(label=_("building heads"), required=False)
    volunteers = forms.BooleanField(label=_("volunteers"), required=False)
    sms_residents = forms.BooleanField(label=_("residents who opted in by SMS"), required=False)


class SavedAudienceForm(AudienceFields, ScopedForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    field_order = ["name"]

    def spec(self) -> AudienceSpec:
        d = self.cleaned_data
        return AudienceSpec(
            name=d["name"],
            communities=list(d["communities"]),
            grids=list(d["grids"]),
            groups=list(d["groups"]),
            departments=list(d["departments"]),
            area_groups=d["area_groups"],
            grid_members=d["grid_members"],
            building_heads=d["building_heads"],
            volunteers=d["volunteers"],
            sms_residents=d["sms_residents"],
        )


class ComposeForm(AudienceFields, ScopedForm):
    title = forms.CharField(label=_("Title"), max_length=160)
    kind = forms.ChoiceField(label=_("Kind"), choices=COMPOSE_KINDS, initial=BroadcastKind.NOTICE)
    template = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Markdown; {name} is filled from the variables below."),
    )
    variables = forms.CharField(
        label=_("Variables"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: name=value"),
    )
    saved_audience = forms.ModelChoiceField(
        label=_("Saved audience"),
        queryset=Audience.objects.none(),
        required=False,
        help_text=_("Pick one to send to it; the fields below are then not used."),
    )
    repeat = forms.ChoiceField(label=_("Repeat"), choices=Repeat.choices, initial=Repeat.ONCE)
    send_at = forms.DateTimeField(
        label=_("Send at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Empty: as soon as it may go."),
    )
    times = forms.CharField(
        label=_("Times of day"), required=False, help_text=_("For recurring broadcasts, e.g. 07:15, 16:45")
    )
    until = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    field_order = [
        "title",
        "kind",
        "template",
        "variables",
        "saved_audience",
        *AudienceFields.base_fields,
        "repeat",
        "send_at",
        "times",
        "until",
    ]

    def clean_variables(self) -> dict[str, str]:
        return parse_variables(self.cleaned_data.get("variables") or "")

    def clean_times(self) -> list[str]:
        raw = (self.cleaned_data.get("times") or "").replace("，", ",")
        return [t.strip() for t in raw.split(",") if t.strip()]


class EditForm(forms.Form):
    template = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 6}))
    variables = forms.CharField(
        label=_("Variables"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: name=value"),
    )

    def clean_variables(self) -> dict[str, str]:
        return parse_variables(self.cleaned_data.get("variables") or "")


class DraftsForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            (BroadcastKind.RUSH_HOUR, BroadcastKind.RUSH_HOUR.label),
            (BroadcastKind.ACCIDENT_SEASON, BroadcastKind.ACCIDENT_SEASON.label),
            (BroadcastKind.ANTI_FRAUD, BroadcastKind.ANTI_FRAUD.label),
        ]
    )


class ActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[(a, a) for a in ("submit", "approve", "decline", "pause", "resume", "cancel")]
    )
    note = forms.CharField(required=False, max_length=500)


class AlertForm(ScopedForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=AlertKind.choices)
    headline = forms.CharField(label=_("Headline"), max_length=160)
    description = forms.CharField(
        label=_("Description"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Height, clothes, what they carry; no more than is needed to recognise them."),
    )
    photo = forms.ImageField(label=_("Photo"), required=False)
    last_seen_at = forms.DateTimeField(
        label=_("Last seen at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    last_seen_place = forms.CharField(label=_("Last known place"), max_length=300)
    # the name goes into the error message, translated when shown (hence lazy)
    lat = FiniteFloatField(name=_("latitude"), label=_("Latitude"), required=True)  # type: ignore[arg-type]
    lon = FiniteFloatField(name=_("longitude"), label=_("Longitude"), required=True)  # type: ignore[arg-type]
    radius_m = forms.IntegerField(label=_("Radius (m)"), min_value=100, max_value=20000, initial=1000)
    grids = forms.ModelMultipleChoiceField(label=_("Grids"), queryset=Grid.objects.none(), required=False)
    saved_audience = forms.ModelChoiceField(
        label=_("Saved audience"),
        queryset=Audience.objects.none(),
        required=False,
        help_text=_("Also tell this saved audience."),
    )


class AlertActionForm(forms.Form):
    note = forms.CharField(required=False, max_length=500)
    action = forms.ChoiceField(choices=[(a, a) for a in ("submit", "approve", "decline", "close")])
    outcome = forms.CharField(required=False, max_length=300)
