"""Admin of duty posts and campaigns: for looking things up; plans and results are written
through the pages and the API (the services check who may)."""

from __future__ import annotations

from django.contrib import admin

from lastmeter.duty.models import Campaign, DailyResult, DutyPost, PostAssignment, PostHours


class PostHoursInline(admin.TabularInline):
    model = PostHours
    extra = 0


@admin.register(DutyPost)
class DutyPostAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "community", "lat", "lon")
    list_filter = ("kind", "community")
    search_fields = ("name",)
    inlines = [PostHoursInline]


@admin.register(PostAssignment)
class PostAssignmentAdmin(admin.ModelAdmin):
    list_display = ("post", "shift", "agency", "unit")
    list_filter = ("agency",)
    raw_id_fields = ("shift", "unit")


class DailyResultInline(admin.TabularInline):
    model = DailyResult
    extra = 0
    readonly_fields = ("entered_by", "entered_at")


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "community", "target", "starts_on", "ends_on", "state")
    list_filter = ("state", "community")
    search_fields = ("name", "target")
    readonly_fields = ("state", "created_by", "created_at", "updated_at")
    inlines = [DailyResultInline]
