"""Admin for units and the dispatch record.  Statuses are read-only here: they change only through
the services (transition tables), so the admin cannot put a unit or incident in an impossible state."""

from django.contrib import admin

from lastmeter.dispatching.models import (
    Assignment,
    CommandGroup,
    CommandGroupMember,
    GroupMessage,
    Incident,
    SosAlarm,
    Unit,
)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "agency", "unit_type", "status", "person", "position_at"]
    list_filter = ["agency", "unit_type", "status"]
    search_fields = ["code", "name", "person__name"]
    readonly_fields = [
        "status",
        "status_changed_at",
        "lat",
        "lon",
        "heading",
        "accuracy_m",
        "position_at",
        "node",
    ]
    raw_id_fields = ["person"]


ASSIGNMENT_FIELDS: tuple[str, ...] = (
    "unit",
    "dispatched_at",
    "eta_s",
    "distance_m",
    "en_route_at",
    "arrived_at",
    "response_s",
    "cleared_at",
)


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    can_delete = False
    fields = ASSIGNMENT_FIELDS
    readonly_fields = ASSIGNMENT_FIELDS


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["reference", "title", "status", "priority", "alarm_at", "response_s", "closed_at"]
    list_filter = ["status", "priority"]
    search_fields = ["reference", "title", "address"]
    readonly_fields = ["reference", "status", "dispatched_at", "first_arrival_at", "response_s", "closed_at"]
    raw_id_fields = ["appeal", "commander", "created_by"]
    inlines = [AssignmentInline]


class MemberInline(admin.TabularInline):
    model = CommandGroupMember
    extra = 0
    raw_id_fields = ["person"]


@admin.register(CommandGroup)
class CommandGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "incident", "created_at", "archived_at"]
    readonly_fields = ["incident", "created_at", "archived_at"]
    inlines = [MemberInline]


@admin.register(GroupMessage)
class GroupMessageAdmin(admin.ModelAdmin):
    list_display = ["group", "author", "kind", "text", "at"]
    list_filter = ["kind"]
    readonly_fields = ["group", "author", "kind", "text", "at", "data"]


@admin.register(SosAlarm)
class SosAlarmAdmin(admin.ModelAdmin):
    list_display = ["person", "unit", "status", "raised_at", "acknowledged_by", "resolved_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in SosAlarm._meta.fields]
