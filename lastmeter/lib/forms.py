"""Small pieces shared by the apps' Django forms (each app's page input goes through a form)."""

from __future__ import annotations

import math
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class FiniteFloatField(forms.Field):
    """A finite float; a blank value is ``None``.

    ``name`` fills ``%(name)s`` in the messages (the parameter's name as the client sent it).
    ``strip`` trims whitespace first, so that a field of spaces counts as blank. Pass plain
    strings in ``error_messages`` where the answer must not be translated (an API's errors).
    """

    default_error_messages = {
        "invalid": _("%(name)s must be a number"),
        "not_finite": _("%(name)s must be a finite number"),
    }

    def __init__(self, *, name: str, strip: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.name = name
        self.strip = strip

    def to_python(self, value: Any) -> float | None:
        if isinstance(value, str) and self.strip:
            value = value.strip()
        if value in self.empty_values:
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValidationError(
                self.error_messages["invalid"], code="invalid", params={"name": self.name}
            ) from None
        if not math.isfinite(number):
            raise ValidationError(
                self.error_messages["not_finite"], code="not_finite", params={"name": self.name}
            )
        return number


def first_error(form: forms.Form) -> ValidationError | None:
    """The first of the form's errors, in field order and then the form-wide ones: the one a
    hand-written check that stops at the first problem would have raised. ``None`` if valid."""
    for errors in form.errors.as_data().values():
        if errors:
            return errors[0]
    return None


def first_message(form: forms.Form) -> str:
    """The text of ``first_error`` (empty for a valid form)."""
    error = first_error(form)
    return error.messages[0] if error is not None else ""


__all__ = ["FiniteFloatField", "first_error", "first_message"]
