"""Admin of complaints: read-only (every change goes through the services), and the officer
concerned does not find the complaints about them here either."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from lastmeter.accounts.admin import LogPersonalDataAdmin
from lastmeter.complaints.models import Complaint, ComplaintClock, ComplaintEvent, Decision, Evidence


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class EventInline(ReadOnlyInline):
    model = ComplaintEvent
    fields = readonly_fields = ("at", "kind", "actor_label", "from_state", "to_state", "note")


class ClockInline(ReadOnlyInline):
    model = ComplaintClock
    fields = readonly_fields = (
        "kind",
        "round",
        "state",
        "started_at",
        "due_at",
        "warned_at",
        "breached_at",
        "met_at",
    )


class DecisionInline(ReadOnlyInline):
    model = Decision
    fields = readonly_fields = (
        "round",
        "kind",
        "reasons",
        "reviewer",
        "decided_at",
        "letter",
        "letter_sha256",
    )


class EvidenceInline(ReadOnlyInline):
    model = Evidence
    fields = readonly_fields = ("kind", "description", "file", "added_by", "round", "at")


@admin.register(Complaint)
class ComplaintAdmin(LogPersonalDataAdmin):
    access_log_what = "admin: complaint"
    list_display = [
        "reference",
        "state",
        "channel",
        "subject_kind",
        "officer",
        "unit",
        "reviewer",
        "created_at",
    ]
    list_filter = ["state", "channel", "subject_kind"]
    search_fields = ["reference", "decision_number", "ticket_number"]
    inlines = [EvidenceInline, DecisionInline, ClockInline, EventInline]

    def get_queryset(self, request: HttpRequest):
        qs = super().get_queryset(request)
        person = getattr(request.user, "person", None)
        return qs.exclude(officer=person) if person is not None else qs

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
