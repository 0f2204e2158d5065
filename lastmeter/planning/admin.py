"""Admin of grid planning.

Plans change state only through planning.services (one transition table), so the admin shows them
read-only; units' factors and platforms may be corrected here.
"""

from django.contrib import admin

from lastmeter.planning.models import AccidentRecord, BasicUnit, GridPlan, Platform


@admin.register(BasicUnit)
class BasicUnitAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "road_km",
        "accidents",
        "difficulty",
        "police_strength",
        "workload",
    ]
    list_filter = ["kind", "source"]
    search_fields = ["code", "name"]
    readonly_fields = ["workload", "neighbours", "updated_at"]
    exclude = ["cell"]


@admin.register(GridPlan)
class GridPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "state", "k", "method", "created_by", "created_at", "adopted_at"]
    list_filter = ["state"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "lat", "lon", "road_node", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]
    readonly_fields = ["road_node", "snap_m"]

    def save_model(self, request, obj, form, change) -> None:
        if {"lat", "lon"} & set(form.changed_data):
            obj.road_node = obj.snap_m = None  # snapped again at the next analysis
        super().save_model(request, obj, form, change)


@admin.register(AccidentRecord)
class AccidentRecordAdmin(admin.ModelAdmin):
    list_display = ["source", "external_id", "lat", "lon", "street", "victims"]
    list_filter = ["source"]
    search_fields = ["external_id", "street"]
