"""Input of the Open311 GeoReport v2 endpoints: query strings and the POST of a service request.

The messages are the API's own, in English and untranslated, as GeoReport clients read them.
Each form reports the first problem in field order (``lib.forms.first_error``), which is the
order the spec's checks have always been made in; a ``forbidden`` error is a 403, any other a
400 (``refusal``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from lastmeter.appeals.models import Category
from lastmeter.lib.forms import FiniteFloatField, first_error
from lastmeter.lib.geo import validate_lat_lon
from lastmeter.open311.models import key_for

MAX_WINDOW = timedelta(days=90)
YEARS = (1900, 2999)  # the dates a query may name
LIMIT = 1000
NUMBER_ERRORS = {"invalid": "%(name)s must be a number", "not_finite": "%(name)s must be a finite number"}


def refusal(form: forms.Form) -> tuple[int, str] | None:
    """(HTTP status, message) of the form's first error, or ``None`` when it is valid."""
    error = first_error(form)
    if error is None:
        return None
    return (403 if error.code == "forbidden" else 400), error.messages[0]


class CommaListField(forms.CharField):
    """A comma-separated list; blanks between commas are dropped."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        return [x.strip() for x in (super().to_python(value) or "").split(",") if x.strip()]


class W3CDateTimeField(forms.CharField):
    """A W3C datetime such as 2026-11-20T08:00:00Z (a '+' sent unescaped arrives as a space);
    one without a zone is UTC. Blank is ``None``."""

    def __init__(self, *, name: str, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)
        self.name = name

    def to_python(self, value: Any) -> datetime | None:  # type: ignore[override]
        raw = super().to_python(value)
        if not raw:
            return None
        parsed = parse_datetime(raw.strip().replace(" ", "+"))
        if parsed is None:
            raise ValidationError(
                "%(name)s must be a W3C datetime such as 2026-11-20T08:00:00Z",
                code="invalid",
                params={"name": self.name},
            )
        if timezone.is_naive(parsed):
            parsed = parsed.replace(tzinfo=UTC)
        # Held to years a service request can have, and turned to UTC: an offset such as -23:46
        # (valid W3C, out of PostgreSQL's range) and the 90-day window's arithmetic near year 1 or
        # 9999 were 500s — found by the fuzzer.
        if not YEARS[0] <= parsed.year <= YEARS[1]:
            raise ValidationError(
                "%(name)s must be between the years %(first)d and %(last)d",
                code="range",
                params={"name": self.name, "first": YEARS[0], "last": YEARS[1]},
            )
        return parsed.astimezone(UTC)


def nul_in(request: HttpRequest, path_args: dict[str, Any]) -> str:
    """The name of the first argument (path, query or form) holding a NUL character, or ""."""
    for name, value in path_args.items():
        if "\x00" in str(value):
            return name
    for data in (request.GET, request.POST):
        for name, values in data.lists():
            if "\x00" in name or any("\x00" in v for v in values):
                return name.replace("\x00", "") or "a parameter name"
    return ""


class JurisdictionForm(forms.Form):
    """``jurisdiction_id``, which any endpoint may be given (in the query string or the POST body)."""

    jurisdiction_id = forms.CharField(required=False, strip=False)


def given_jurisdiction(request: HttpRequest) -> str:
    """The ``jurisdiction_id`` of the query string, else that of the POST body, else ""."""
    for data in (request.GET, request.POST):
        form = JurisdictionForm(data)
        if form.is_valid() and form.cleaned_data["jurisdiction_id"]:
            return form.cleaned_data["jurisdiction_id"]
    return ""


class WindowForm(forms.Form):
    """``start_date`` and ``end_date``: at most 90 days; without a start, the 90 days up to the
    end (or now); without an end, 90 days from the start but not past tomorrow. The result is
    ``cleaned_data["window"]`` = (start, end)."""

    end_date = W3CDateTimeField(name="end_date")  # checked first, as it always was
    start_date = W3CDateTimeField(name="start_date")

    def clean_start_date(self) -> datetime | None:
        given_start = self.cleaned_data.get("start_date")
        if "end_date" not in self.cleaned_data:
            return given_start  # end_date did not parse: that is the error to report
        given_end = self.cleaned_data["end_date"]
        if given_start is None:
            end = given_end or timezone.now()
            start = end - MAX_WINDOW
        else:
            start = given_start
            end = given_end or min(start + MAX_WINDOW, timezone.now() + timedelta(days=1))
        if end < start:
            raise ValidationError("end_date is before start_date", code="order")
        if end - start > MAX_WINDOW:
            raise ValidationError("start_date and end_date may not span more than 90 days", code="span")
        self.cleaned_data["window"] = (start, end)
        return given_start


class RequestListForm(WindowForm):
    """GET /requests: a list of ids overrides every other filter (and their checks); else the
    service codes, the date window and the status (open, closed or both)."""

    service_request_id = CommaListField()
    service_code = CommaListField()
    status = CommaListField()

    def clean_status(self) -> set[str]:
        statuses = set(self.cleaned_data["status"])
        if statuses - {"open", "closed"}:
            raise ValidationError("status must be open, closed or both", code="invalid")
        return statuses


class ServiceRequestForm(forms.Form):
    """POST /requests: a new service request, checked in the order the checks have always run.

    ``cleaned_data["api_key"]`` is the caller's ``ApiKey``; ``name`` joins first and last name."""

    api_key = forms.CharField(required=False, strip=False)
    service_code = forms.CharField(required=False)
    lat = FiniteFloatField(name="lat", strip=False, error_messages=NUMBER_ERRORS)
    long = FiniteFloatField(name="long", strip=False, error_messages=NUMBER_ERRORS)
    address_string = forms.CharField(required=False)
    address_id = forms.CharField(required=False, strip=False)
    description = forms.CharField(
        required=False,
        max_length=4000,
        error_messages={"max_length": "description is longer than 4000 characters"},
    )
    first_name = forms.CharField(required=False, strip=False)
    last_name = forms.CharField(required=False, strip=False)
    device_id = forms.CharField(required=False, strip=False)
    account_id = forms.CharField(required=False, strip=False)
    phone = forms.CharField(required=False, strip=False)
    email = forms.CharField(required=False, strip=False)

    def clean_api_key(self) -> Any:
        key = key_for(self.cleaned_data["api_key"])
        if key is None:
            raise ValidationError("a valid api_key is required to create service requests", code="forbidden")
        return key

    def clean_service_code(self) -> str:
        code = self.cleaned_data["service_code"]
        if not code:
            raise ValidationError("service_code is required", code="required")
        if not Category.objects.filter(code=code).exists():
            raise ValidationError("service_code %(code)r not found", code="unknown", params={"code": code})
        return code

    def clean_long(self) -> float | None:
        lat, lon = self.cleaned_data.get("lat"), self.cleaned_data.get("long")
        try:
            validate_lat_lon(lat, lon)
        except ValueError as exc:
            raise ValidationError(str(exc), code="coordinates") from None
        return lon

    def clean_address_id(self) -> str:
        address_id = self.cleaned_data["address_id"]
        if (
            self.cleaned_data.get("lat") is None
            and not self.cleaned_data.get("address_string")
            and not address_id
        ):
            raise ValidationError("a location is required: lat and long, or address_string", code="required")
        return address_id

    def clean_description(self) -> str:
        description = self.cleaned_data["description"]
        if not description:
            raise ValidationError("description is required", code="required")
        return description

    def name(self) -> str:
        """First and last name, joined by a space."""
        data = self.cleaned_data
        return " ".join(x for x in (data["first_name"], data["last_name"]) if x).strip()


__all__ = [
    "LIMIT",
    "MAX_WINDOW",
    "RequestListForm",
    "ServiceRequestForm",
    "WindowForm",
    "given_jurisdiction",
    "nul_in",
    "refusal",
]
