"""Input of the appeal pages: the queue's filter, an action's fields, the resident's feedback.

The pages are forgiving the way they always were: a value that does not parse (a grid that is
not a number, a position that is not a float) counts as not given, and the service then says
what is missing. Each form hands back the shape the shared layer takes (``QueueFilter``,
``ActionIn``), so the pages and the API validate the same way after this point.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _

from lastmeter.appeals.filters import QueueFilter
from lastmeter.appeals.refusals import action_label
from lastmeter.appeals.schemas import ActionIn


class SwitchField(forms.Field):
    """A query-string switch: on (``True``) for "1", "true" or "on"; anything else is off (``None``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> bool | None:
        return True if value in ("1", "true", "on") else None


def _valid_data(form: forms.Form) -> dict[str, Any]:
    """The fields that parsed; an invalid one is left out (it counts as not given)."""
    form.is_valid()
    return {name: value for name, value in form.cleaned_data.items() if value is not None}


FIGURE_FILTERS = (
    "received_from",
    "received_to",
    "community",
    "channel",
    "assignee",
    "breached",
    "department",
    "transferred_from",
    "transferred_to",
    "transfer_overdue",
)


class QueueFilterForm(forms.Form):
    """The queue page's query string."""

    state = forms.CharField(required=False, strip=False)
    grid = forms.IntegerField(required=False, min_value=0)
    category = forms.CharField(required=False, strip=False)
    overdue = SwitchField()
    open = SwitchField()
    # The appeals behind a dashboard's figure (stats links here with these).
    received_from = forms.DateField(required=False)
    received_to = forms.DateField(required=False)
    community = forms.IntegerField(required=False, min_value=0)
    channel = forms.CharField(required=False, strip=False)
    assignee = forms.IntegerField(required=False, min_value=0)
    breached = SwitchField()
    department = forms.IntegerField(required=False, min_value=0)
    transferred_from = forms.DateField(required=False)
    transferred_to = forms.DateField(required=False)
    transfer_overdue = SwitchField()

    def queue_filter(self) -> QueueFilter:
        data = _valid_data(self)
        figures: dict[str, Any] = {name: data.get(name) or None for name in FIGURE_FILTERS}
        return QueueFilter(
            state=data.get("state") or None,
            grid=data.get("grid"),
            category=data.get("category") or None,
            overdue=data.get("overdue"),
            open=data.get("open"),
            **figures,
        )

    def figure_filters(self) -> dict[str, Any]:
        """The dashboard filters given (kept as hidden fields when the queue is filtered again)."""
        data = _valid_data(self)
        return {name: data[name] for name in FIGURE_FILTERS if data.get(name)}


# Actions that stop or hand back work need a reason, and closing asks for a confirmation: the
# page refuses them before calling the service (which refuses an empty reason too, for the API).
REASON_REQUIRED = frozenset({"close", "pause", "reopen", "return_transfer"})
CONFIRM_REQUIRED = frozenset({"close"})


class ActionForm(forms.Form):
    """The fields an action's form on the detail page may send (which ones depends on the action).

    ``into`` takes an appeal's reference (what the page shows) or its id."""

    note = forms.CharField(required=False, strip=False)
    reason = forms.CharField(required=False, strip=False)
    resolution = forms.CharField(required=False, strip=False)
    outcome = forms.CharField(required=False, strip=False)
    lat = forms.FloatField(required=False)
    lon = forms.FloatField(required=False)
    department = forms.CharField(required=False, strip=False, empty_value=None)
    into = forms.CharField(required=False)
    person = forms.IntegerField(required=False, min_value=0)
    confirm = SwitchField()

    def __init__(self, *args: Any, action: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.action = action

    def refusal(self) -> str | None:
        """Why the page refuses this action's input before the service sees it (None: go on)."""
        data = _valid_data(self)
        if self.action in REASON_REQUIRED and not (data.get("reason") or data.get("note") or "").strip():
            return _("Give a reason to %(action)s: it is kept on the timeline.") % {
                "action": action_label(self.action)
            }
        if self.action in CONFIRM_REQUIRED and not data.get("confirm"):
            return _("Tick the confirmation to %(action)s: the reporter will be told.") % {
                "action": action_label(self.action)
            }
        return None

    def action_in(self) -> ActionIn:
        data = _valid_data(self)
        data.pop("confirm", None)
        into = (data.pop("into", "") or "").strip()
        if into.isdigit():
            data["into"] = int(into)
        elif into:
            data["into_reference"] = into
        return ActionIn(**data)


class FeedbackForm(forms.Form):
    """The tracking page's two forms: a rating (score, comment, code) or a contest (contest,
    reason, code). The score stays text: the service says what a good score is, for the page
    and the API alike."""

    contest = forms.CharField(required=False, strip=False)
    reason = forms.CharField(required=False, strip=False)
    score = forms.CharField(required=False)
    comment = forms.CharField(required=False, strip=False)
    code = forms.CharField(required=False, max_length=20)


__all__ = ["ActionForm", "FeedbackForm", "QueueFilterForm", "SwitchField"]


class AssigneeSearchForm(forms.Form):
    """The assign picker's query string on the appeal page: part of a name or grid, and a role."""

    who = forms.CharField(required=False, max_length=50)
    role = forms.CharField(required=False)

    def query(self, allowed_roles) -> tuple[str, str | None]:
        data = _valid_data(self)
        role = data.get("role") or None
        return (data.get("who") or "")[:50], role if role in allowed_roles else None


class NextPageForm(forms.Form):
    """Where a posted action returns to (the page the form was on); checked against the host."""

    next = forms.CharField(required=False, max_length=500)


class PageSwitchForm(forms.Form):
    """Query-string switches of the inbox and tracking pages."""

    part = forms.CharField(required=False, max_length=20)
    new = SwitchField()
