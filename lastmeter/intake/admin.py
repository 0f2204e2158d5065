"""Inbound items in the admin: read-only (the raw store is evidence), and each change page opened
is written to the access log, as it shows the sender's raw message and contact data."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from lastmeter.accounts.admin import LogPersonalDataAdmin
from lastmeter.intake.models import InboundItem


@admin.register(InboundItem)
class InboundItemAdmin(LogPersonalDataAdmin):
    access_log_what = "admin: inbound item"
    list_display = ["id", "channel", "status", "decision", "received_at", "appeal"]
    list_filter = ["channel", "status", "decision"]
    search_fields = ["token", "dedupe_key"]
    list_select_related = ["appeal"]
    exclude = ["body"]
    readonly_fields = [
        "channel",
        "dedupe_key",
        "token",
        "received_at",
        "body_text",
        "content_type",
        "headers",
        "query",
        "source",
        "chat_id",
        "message_id",
        "sender_id",
        "normalised",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "decision",
        "decision_reason",
        "decided_at",
        "appeal",
        "subscription",
        "submitted_by",
    ]

    @admin.display(description=_("message as received"))
    def body_text(self, obj: InboundItem) -> str:
        return obj.body_text

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
