"""Forms of the accounts pages: the one-time code of two-factor sign-in."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    """A six-digit code from the authenticator app, or (at sign-in) one recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "size": 12}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)
