"""Admin of mediation cases: read-only; every change goes through the services."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from lastmeter.accounts.admin import LogPersonalDataAdmin
from lastmeter.mediation.models import CaseEvent, FollowUp, MediationCase, Party, Session


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class PartyInline(ReadOnlyInline):
    model = Party
    fields = readonly_fields = ("name", "phone", "side", "consent_at", "consent_how")


class SessionInline(ReadOnlyInline):
    model = Session
    fields = readonly_fields = ("held_at", "place", "attendees", "notes")


class FollowUpInline(ReadOnlyInline):
    model = FollowUp
    fields = readonly_fields = ("due_on", "state", "done_at", "kept", "note")


class EventInline(ReadOnlyInline):
    model = CaseEvent
    fields = readonly_fields = ("at", "kind", "actor_label", "from_state", "to_state", "note")


@admin.register(MediationCase)
class MediationCaseAdmin(LogPersonalDataAdmin):
    access_log_what = "admin: mediation case"
    list_display = (
        "reference",
        "state",
        "dispute_type",
        "community",
        "mediator",
        "recurrence_flag",
        "opened_at",
    )
    list_filter = ("state", "dispute_type", "mediator_kind", "recurrence_flag")
    search_fields = ("reference", "summary", "address")
    inlines = [PartyInline, SessionInline, FollowUpInline, EventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
