"""Input of the intake pages: the report forms (resident, call, on behalf), the inbox filter,
the reversal of a decision, the locate queue and the category correction.

Each form reports one problem at a time, the first in field order (``lib.forms.first_message``),
in the reader's language.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lastmeter.appeals.models import Appeal, Category
from lastmeter.grids.models import Grid
from lastmeter.grids.selectors import grid_containing
from lastmeter.intake.channels.base import InboundMessage
from lastmeter.lib.forms import FiniteFloatField
from lastmeter.lib.geo import CoordinateError, validate_lat_lon
from lastmeter.lib.images import ImageRefused, reencode

PHOTO_TYPES = {"image/jpeg": (b"\xff\xd8\xff", "jpg"), "image/png": (b"\x89PNG\r\n\x1a\n", "png")}

COORDINATE_MESSAGES = {
    "half": _("give both latitude and longitude, or neither"),
    "not_finite": _("coordinates must be finite numbers"),
    "latitude": _("latitude %(value)s is outside -90..90"),
    "longitude": _("longitude %(value)s is outside -180..180"),
}


class CoordinatesForm(forms.Form):
    """An optional pin: both of ``lat`` and ``lon``, or neither, each a finite number in range."""

    lat = FiniteFloatField(name="lat")
    lon = FiniteFloatField(name="lon")

    def clean_lon(self) -> float | None:
        lat, lon = self.cleaned_data.get("lat"), self.cleaned_data.get("lon")
        try:
            validate_lat_lon(lat, lon)
        except CoordinateError as exc:
            value = lat if exc.code == "latitude" else lon
            message = COORDINATE_MESSAGES.get(exc.code)
            if message is None:
                raise ValidationError(str(exc), code=exc.code) from None
            raise ValidationError(message, code=exc.code, params={"value": value}) from None
        return lon


class ReportForm(CoordinatesForm):
    """What the report forms send: the problem, the place, who reports it; the photo only on the
    resident's form (``with_photo``)."""

    field_order = ["nonce", "text", "lat", "lon", "address", "category", "name", "phone", "email"]

    nonce = forms.CharField(required=False)
    text = forms.CharField(
        max_length=4000,
        error_messages={
            "required": _("describe the problem"),
            "max_length": _("the description is longer than 4000 characters"),
        },
    )
    address = forms.CharField(required=False)
    category = forms.CharField(required=False)
    name = forms.CharField(required=False)
    phone = forms.CharField(required=False)
    email = forms.CharField(required=False)

    def __init__(
        self, *args: Any, with_photo: bool = False, within_jurisdiction: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # The resident's form refuses a pin no grid of ours contains (it would make an appeal
        # nobody is responsible for); staff forms accept any place, they know what they file.
        self.within_jurisdiction = within_jurisdiction
        if with_photo:
            # Checked after the text and the pin, as the photo is stored only for a good report.
            self.fields["photo"] = forms.FileField(required=False, allow_empty_file=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        lat, lon = data.get("lat"), data.get("lon")
        checked = self.within_jurisdiction and not self.errors and lat is not None and lon is not None
        if (
            checked
            and Grid.objects.filter(active=True).exists()
            and grid_containing(float(lat), float(lon)) is None  # type: ignore[arg-type]
        ):
            raise ValidationError(
                _(
                    "The place you marked (%(lat).5f, %(lon).5f) is outside our jurisdiction: none of "
                    "our grids covers it. Move the pin inside the area drawn on the map, or contact "
                    "the police station responsible for that place."
                ),
                code="outside_jurisdiction",
                params={"lat": lat, "lon": lon},
            )
        return data

    def clean_nonce(self) -> str:
        return self.cleaned_data["nonce"][:64]

    def clean_photo(self) -> Any:
        """Declared type, magic bytes and size; the file is stored by the view once all is well."""
        upload = self.cleaned_data.get("photo")
        if upload is None:
            return None
        limit = settings.LASTMETER_MAX_PHOTO_BYTES
        if (upload.size or 0) > limit:
            raise ValidationError(
                _("the photo is larger than %(mb)d MB"), code="too_big", params={"mb": limit // (1024 * 1024)}
            )
        expected = PHOTO_TYPES.get(upload.content_type or "")
        head = upload.read(16)
        upload.seek(0)
        if expected is None or not head.startswith(expected[0]):
            raise ValidationError(_("the photo must be a JPEG or PNG image"), code="not_an_image")
        try:  # a picture Pillow can decode (the view re-encodes it without EXIF when storing)
            reencode(upload.read())
        except ImageRefused as exc:
            raise ValidationError(_("the photo must be a JPEG or PNG image"), code="not_an_image") from exc
        upload.seek(0)
        return upload

    def message(self, channel: str, **extra: Any) -> InboundMessage:
        """The report as the intake takes it from every channel. Call on a valid form."""
        data = self.cleaned_data
        return InboundMessage(
            channel=channel,
            text=data["text"],
            sender_name=data["name"][:100],
            phone=data["phone"][:40],
            email=data["email"][:200],
            address=data["address"][:300],
            lat=data["lat"],
            lon=data["lon"],
            category_code=data["category"],
            **extra,
        )


class DecisionFilterForm(forms.Form):
    """The inbox's filter of recent items by decision ("" for all)."""

    decision = forms.CharField(required=False, strip=False)

    def decision_value(self) -> str:
        return self.cleaned_data.get("decision", "") if self.is_valid() else ""


class ReverseForm(forms.Form):
    """Staff change an item's decision; for an update or duplicate, the appeal it belongs to
    (by reference or id)."""

    to = forms.CharField(required=False, strip=False)
    reason = forms.CharField(required=False, strip=False)
    target_appeal = forms.CharField(required=False)

    def clean_target_appeal(self) -> Appeal | None:
        target = self.cleaned_data["target_appeal"]
        if not target:
            return None
        found = Appeal.objects.filter(
            Q(reference=target) | Q(pk=int(target) if target.isdigit() else -1)
        ).first()
        if found is None:
            raise ValidationError(_("no appeal %(ref)s"), code="no_appeal", params={"ref": target})
        return found


class LocationForm(CoordinatesForm):
    """The locate queue: an appeal's position (both coordinates needed) and, optionally, its address."""

    address = forms.CharField(required=False, strip=False)

    def clean(self) -> dict[str, Any]:
        data = self.cleaned_data
        if not self.errors and (data.get("lat") is None or data.get("lon") is None):
            raise ValidationError(_("give latitude and longitude"), code="required")
        return data


class CategoryForm(forms.Form):
    """Staff correct an appeal's category (by code); ``next`` is where to go afterwards."""

    category = forms.ModelChoiceField(
        queryset=Category.objects.all(),
        to_field_name="code",
        error_messages={"required": _("unknown category"), "invalid_choice": _("unknown category")},
    )
    next = forms.CharField(required=False, strip=False)


__all__ = [
    "PHOTO_TYPES",
    "CategoryForm",
    "CoordinatesForm",
    "DecisionFilterForm",
    "LocationForm",
    "ReportForm",
    "ReverseForm",
]
