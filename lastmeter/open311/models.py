"""API keys of the Open311 integrations (only their SHA-256 is stored)."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from lastmeter.accounts.models import hash_token


class Open311Key(models.Model):
    """A client allowed to POST service requests. ``person`` (optional) is recorded as the
    appeals' filer, so an integration run by a volunteer group is traceable to it."""

    name = models.CharField(_("client name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    person = models.ForeignKey(
        "accounts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")

    def __str__(self) -> str:
        return self.name


def issue_key(name: str, person=None) -> str:
    """Create a key and return the raw value once."""
    raw = "o311_" + secrets.token_urlsafe(24)
    Open311Key.objects.create(name=name, key_hash=hash_token(raw), person=person)
    return raw


def key_for(raw: str) -> Open311Key | None:
    if not raw or len(raw) > 200:
        return None
    return Open311Key.objects.filter(key_hash=hash_token(raw), active=True).first()
