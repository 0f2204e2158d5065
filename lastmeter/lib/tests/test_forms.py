"""The shared form pieces: a finite float field and the first error of a form."""

from __future__ import annotations

from django import forms
from django.utils import translation

from lastmeter.lib.forms import FiniteFloatField, first_error, first_message


class Pin(forms.Form):
    lat = FiniteFloatField(name="lat")
    lon = FiniteFloatField(name="long", strip=False, error_messages={"invalid": "%(name)s is not a number"})


class PinWithRule(Pin):
    def clean(self):
        raise forms.ValidationError("form-wide", code="rule")


def test_it_reads_finite_floats_and_blank_as_none():
    form = Pin({"lat": " 31.5 ", "lon": ""})
    assert form.is_valid() and form.cleaned_data == {"lat": 31.5, "lon": None}
    assert first_error(form) is None and first_message(form) == ""


def test_it_names_the_field_in_its_messages_and_reports_the_first_problem_in_field_order():
    form = PinWithRule({"lat": "inf", "lon": " "})
    assert first_error(form).code == "not_finite"
    with translation.override("en"):
        assert first_message(form) == "lat must be a finite number"
    assert first_message(form) == "lat 必须是有限数值"  # zh-Hans, the default language
    assert form.errors["lon"] == ["long is not a number"]  # not stripped: spaces are not blank
    assert first_message(PinWithRule({"lat": "1", "lon": "2"})) == "form-wide"
