"""Admin of patrols and the building-head network. The network's records (badge, training,
tasks, points, support) are the station's data and are edited here; plans, shifts, check-ins and
sightings are read-only: they change through the services."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from lastmeter.patrols.models import (
    Badge,
    CheckIn,
    NetworkTask,
    PatrolPlan,
    PatrolShift,
    PatrolTeam,
    PlanCell,
    PointRecord,
    Sighting,
    SupportRecord,
    TeamMember,
    TrainingSession,
)


class MemberInline(admin.TabularInline):
    model = TeamMember
    extra = 1
    fields = ("person", "skills", "available_bands")


@admin.register(PatrolTeam)
class PatrolTeamAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "community", "leader", "active")
    list_filter = ("kind", "active", "community")
    inlines = [MemberInline]


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class CellInline(admin.TabularInline):
    model = PlanCell
    extra = 0
    can_delete = False
    fields = readonly_fields = ("order", "key", "lat", "lon", "z", "count", "shift")


@admin.register(PatrolPlan)
class PatrolPlanAdmin(ReadOnly):
    list_display = ("community", "day", "band", "state", "coverage", "created_by")
    list_filter = ("state", "band", "community")
    inlines = [CellInline]


@admin.register(PatrolShift)
class PatrolShiftAdmin(ReadOnly):
    list_display = ("plan", "team", "starts_at", "ends_at", "state", "route_m", "on_roads")
    list_filter = ("state",)


@admin.register(CheckIn)
class CheckInAdmin(ReadOnly):
    list_display = ("shift", "person", "kind", "at", "distance_m")


@admin.register(Sighting)
class SightingAdmin(ReadOnly):
    list_display = ("shift", "person", "at", "appeal")


@admin.register(Badge)
class BadgeAdmin(admin.ModelAdmin):
    list_display = ("number", "person", "issued_on")
    search_fields = ("number", "person__name")


@admin.register(TrainingSession)
class TrainingSessionAdmin(admin.ModelAdmin):
    list_display = ("title", "held_on", "community")
    filter_horizontal = ("attendees",)


@admin.register(NetworkTask)
class NetworkTaskAdmin(admin.ModelAdmin):
    list_display = ("title", "person", "due_on", "points", "state")
    list_filter = ("state",)
    readonly_fields = ("state", "done_at")


@admin.register(PointRecord)
class PointRecordAdmin(admin.ModelAdmin):
    list_display = ("person", "points", "reason", "at")


@admin.register(SupportRecord)
class SupportRecordAdmin(admin.ModelAdmin):
    list_display = ("person", "kind", "given_on", "note")
