"""Input of the planning pages: a plan's parameters, hand moves and grid edits, the service-area
analyses and a platform.

Each form checks what the page can check (a number is a number, in its range) with a message in
the reader's language that names the field; the services then check the rest (the same checks the
API goes through). A page with an invalid form shows it again, bound, so nothing typed is lost.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from lastmeter.lib.forms import FiniteFloatField, first_message
from lastmeter.planning.choices import PlanMethod, PlatformKind
from lastmeter.planning.models import FACTOR_FIELDS
from lastmeter.planning.platforms import MAX_EXITS
from lastmeter.planning.services import MAX_AUXILIARIES, MAX_K, PlanParams
from lastmeter.planning.templatetags.planning_labels import FACTOR_LABELS

__all__ = [
    "AdoptForm",
    "BoundedFloatField",
    "ExitsField",
    "MoveUnitForm",
    "PlanForm",
    "PlanGridForm",
    "PlatformForm",
    "ServiceAreaForm",
    "WholeField",
    "first_message",
]


class _Ranged:
    """Range checks whose messages name the field: "网格数量 (K) 须在 1 到 500 之间。"."""

    error_messages: dict[str, Any]
    name: Any
    required: bool
    low: float | None
    high: float | None

    def check_range(self, value: float | None) -> None:
        params = {
            "name": self.name,
            "low": f"{self.low:g}",
            "high": f"{self.high:g}" if self.high is not None else "",
        }
        if value is None:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required", params=params)
            return
        if self.high is not None and self.low is not None and not self.low <= value <= self.high:
            raise ValidationError(self.error_messages["range"], code="range", params=params)
        if self.low is not None and value < self.low:
            raise ValidationError(self.error_messages["low"], code="low", params=params)


RANGE_MESSAGES = {
    "required": _("%(name)s is required."),
    "low": _("%(name)s must be at least %(low)s."),
    "range": _("%(name)s must be between %(low)s and %(high)s."),
}


class BoundedFloatField(_Ranged, FiniteFloatField):
    """A finite number in [low, high] (``high`` None: no upper bound); blank is None."""

    default_error_messages = {
        "invalid": _("%(name)s must be a number."),
        "not_finite": _("%(name)s must be a finite number."),
        **RANGE_MESSAGES,
    }

    def __init__(self, *, low: float | None = None, high: float | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("label", kwargs.get("name"))
        super().__init__(**kwargs)
        self.low, self.high = low, high

    def validate(self, value: Any) -> None:
        self.check_range(value)


class WholeField(_Ranged, forms.Field):
    """A whole number in [low, high]; blank is None."""

    default_error_messages = {"invalid": _("%(name)s must be a whole number."), **RANGE_MESSAGES}

    def __init__(self, *, name: Any, low: int | None = None, high: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", name)
        super().__init__(**kwargs)
        self.name, self.low, self.high = name, low, high

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str):
            value = value.strip()
        if value in self.empty_values:
            return None
        try:
            return int(str(value))
        except ValueError:
            raise ValidationError(
                self.error_messages["invalid"], code="invalid", params={"name": self.name}
            ) from None

    def validate(self, value: Any) -> None:
        self.check_range(value)


class PlanForm(forms.Form):
    """A plan's parameters, on the new-plan form (``creating``: name and K required) and on the
    plan's "change parameters" form (blank: keep the current value)."""

    name = forms.CharField(
        required=False,
        max_length=200,
        label=_("Name"),
        error_messages={"max_length": _("A plan's name has at most %(limit_value)d characters.")},
    )
    k = WholeField(name=_("Number of grids (K)"), low=1, high=MAX_K)
    method = forms.ChoiceField(
        required=False,
        choices=[("", ""), *PlanMethod.choices],
        error_messages={"invalid_choice": _("Choose a method from the list.")},
    )
    tolerance_pct = BoundedFloatField(name=_("Balance tolerance (%)"), low=0, high=99.9)
    auxiliaries = WholeField(name=_("Auxiliaries to apportion (N)"), low=0, high=MAX_AUXILIARIES)

    def __init__(self, *args: Any, creating: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for factor in FACTOR_FIELDS:
            name = format_lazy(_("Weight of {factor}"), factor=FACTOR_LABELS.get(factor, factor))
            self.fields[f"w_{factor}"] = BoundedFloatField(name=name, low=0)
        if creating:
            self.fields["name"].required = True
            self.fields["name"].error_messages["required"] = _("Give the plan a name.")
            self.fields["k"].required = True

    def params(self) -> PlanParams:
        """The parameters of a valid form (blank fields: None, i.e. keep / default)."""
        data = self.cleaned_data
        weights = {f: data[f"w_{f}"] for f in FACTOR_FIELDS if data.get(f"w_{f}") is not None}
        tolerance = data.get("tolerance_pct")
        return PlanParams(
            name=(data.get("name") or "").strip() or None,
            k=data.get("k"),
            method=data.get("method") or None,
            tolerance=None if tolerance is None else tolerance / 100.0,
            weights=weights or None,
            auxiliaries=data.get("auxiliaries"),
        )


class AdoptForm(forms.Form):
    apply_staffing = forms.BooleanField(required=False)


class MoveUnitForm(forms.Form):
    unit = forms.CharField(
        max_length=100,
        error_messages={
            "required": _("Type the code of the basic unit to move."),
            "max_length": _("A basic unit's code has at most %(limit_value)d characters."),
        },
    )
    to_grid = WholeField(name=_("The grid to move it to"), required=True, low=1, high=MAX_K)


class PlanGridForm(forms.Form):
    number = WholeField(name=_("The grid's number"), required=True, low=1, high=MAX_K)
    name = forms.CharField(
        required=False,
        max_length=200,
        error_messages={"max_length": _("A grid's name has at most %(limit_value)d characters.")},
    )
    community = WholeField(name=_("Community"), low=1)
    officer = WholeField(name=_("Responsible officer"), low=1)


class ExitsField(forms.CharField):
    """Exits, one per line (or separated by ';'): "lat,lon" or a road node id → [{"lat", "lon"} |
    {"node"}]; a blank field is no exits."""

    widget = forms.Textarea

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[dict[str, Any]]:  # type: ignore[override]
        text = super().clean(value) or ""
        exits: list[dict[str, Any]] = []
        for raw in text.replace(";", "\n").splitlines():
            line = raw.strip()
            if not line:
                continue
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            try:
                if len(parts) == 2:
                    exits.append({"lat": float(parts[0]), "lon": float(parts[1])})
                    continue
                if len(parts) == 1:
                    exits.append({"node": int(parts[0])})
                    continue
            except ValueError:
                pass
            raise ValidationError(
                _(
                    "Each exit is “latitude,longitude” or a road node id, one per line; “%(line)s” is neither."
                ),
                code="invalid",
                params={"line": line[:80]},
            )
        if len(exits) > MAX_EXITS:
            raise ValidationError(_("Give at most %(n)s exits."), code="too_many", params={"n": MAX_EXITS})
        return exits


class ServiceAreaForm(forms.Form):
    """The service-area page's query string: the analysis, and optionally a blockade or additions."""

    speed_kmh = BoundedFloatField(name=_("Speed (km/h)"), low=1, high=200)
    target_min = BoundedFloatField(name=_("Response target (min)"), low=0, high=120)
    rates = forms.ChoiceField(
        required=False,
        choices=[("", ""), ("appeals", "appeals"), ("uniform", "uniform")],
        error_messages={"invalid_choice": _("Weigh intersections by appeals or uniformly.")},
    )
    exits = ExitsField()
    add_k = WholeField(name=_("New platforms"), low=1, high=50)

    def values(self) -> dict[str, Any]:
        """The analysis parameters: the valid ones, defaults for the rest (a bad value is reported
        by the page and left out, so the rest of the page still answers)."""
        data: dict[str, Any] = {}
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data
        return {
            "speed_kmh": data.get("speed_kmh") or 60.0,
            "target_min": data.get("target_min") or 3.0,
            "rates": data.get("rates") or "appeals",
            "exits": data.get("exits") or [],
            "add_k": data.get("add_k"),
        }


class PlatformForm(forms.Form):
    code = forms.RegexField(
        regex=r"^[A-Za-z0-9_-]{1,60}$",
        error_messages={
            "required": _("Give the platform a code."),
            "invalid": _("A platform's code is 1 to 60 letters, digits, '-' or '_'."),
        },
    )
    name = forms.CharField(
        max_length=200,
        error_messages={
            "required": _("Give the platform a name."),
            "max_length": _("A platform's name has at most %(limit_value)d characters."),
        },
    )
    lat = BoundedFloatField(name=_("Latitude"), low=-90, high=90, required=True)
    lon = BoundedFloatField(name=_("Longitude"), low=-180, high=180, required=True)
    kind = forms.ChoiceField(
        required=False,
        choices=PlatformKind.choices,
        error_messages={"invalid_choice": _("Choose a platform, a police station or a traffic police post.")},
    )
