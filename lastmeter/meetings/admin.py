"""Admin of meetings and the counter log: read-only; every change goes through the services."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from lastmeter.meetings.models import ActionItem, AgendaItem, Attendee, CounterVisit, Meeting, MeetingEvent


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ItemInline(ReadOnlyInline):
    model = AgendaItem
    fields = readonly_fields = ("position", "kind", "title", "repeat_count")


class AttendeeInline(ReadOnlyInline):
    model = Attendee
    fields = readonly_fields = ("name", "kind", "department")


class ActionInline(ReadOnlyInline):
    model = ActionItem
    fk_name = "meeting"
    fields = readonly_fields = ("decision", "task", "owner", "due_at", "state", "report")


class EventInline(ReadOnlyInline):
    model = MeetingEvent
    fields = readonly_fields = ("at", "kind", "actor_label", "note")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ("reference", "title", "state", "community", "held_at")
    list_filter = ("state",)
    search_fields = ("reference", "title", "minutes")
    inlines = [ItemInline, AttendeeInline, ActionInline, EventInline]


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnlyAdmin):
    list_display = ("task", "owner", "meeting", "due_at", "state")
    list_filter = ("state",)


@admin.register(CounterVisit)
class CounterVisitAdmin(ReadOnlyAdmin):
    list_display = ("kind", "matter", "community", "arrived_at", "served_at", "finished_at")
    list_filter = ("kind",)
