from django.contrib import admin

from lastmeter.accounts.models import (
    AccessLog,
    ApiToken,
    Department,
    DutyShift,
    OrgUnit,
    Person,
    RoleAssignment,
)


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["org_unit", "department"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "badge", "volunteer_kind", "active"]
    search_fields = ["name", "badge"]
    list_filter = ["active", "volunteer_kind", "roles__role"]
    inlines = [RoleInline]


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code", "parent", "grid"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "phone", "accept_within_hours"]
    search_fields = ["name", "code"]


@admin.register(DutyShift)
class DutyShiftAdmin(admin.ModelAdmin):
    list_display = ["person", "grid", "starts_at", "ends_at"]
    list_filter = ["grid"]
    date_hierarchy = "starts_at"


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["person", "role", "org_unit", "grid", "department"]
    list_filter = ["role"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["person", "label", "created_at", "last_used_at", "revoked"]
    readonly_fields = ["key_hash"]


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    list_display = ["at", "person", "what"]
    readonly_fields = ["at", "person", "what"]
