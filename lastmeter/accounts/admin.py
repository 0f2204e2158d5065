"""The accounts admin, the read-only access log, and the mixin that logs views of personal data.

``LogPersonalDataAdmin`` is public: the admins of appeals and intake use it for their models that
hold a reporter's data, so each change page opened writes one AccessLog row.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from lastmeter.accounts.models import (
    AccessLog,
    ApiToken,
    Department,
    DutyShift,
    OrgUnit,
    Person,
    RoleAssignment,
)
from lastmeter.accounts.services import log_access


class LogPersonalDataAdmin(admin.ModelAdmin):
    """A ModelAdmin whose change page (the one that shows a row's fields unmasked) writes one
    AccessLog row each time it is opened. Subclasses name the data in ``access_log_what``."""

    access_log_what = "admin"

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        # Only a page that was shown (200) read the row; a 404, a redirect after save or a refusal
        # showed nothing new.
        if request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, unquote(object_id))
            if obj is not None:
                log_access(None, self.access_log_what, obj, "admin change page", user=request.user)
        return response


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["org_unit", "department"]


@admin.register(Person)
class PersonAdmin(LogPersonalDataAdmin):
    access_log_what = "admin: person"
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
    """Read-only: the log is evidence; nobody adds, edits or deletes its rows here."""

    list_display = ["at", "who", "what", "object_label", "why"]
    list_filter = ["what", "object_type", ("at", admin.DateFieldListFilter), "person"]
    search_fields = ["object_label", "object_id", "why", "person__name", "user__username"]
    date_hierarchy = "at"
    readonly_fields = [
        "at",
        "person",
        "user",
        "what",
        "object_type",
        "object_id",
        "object_label",
        "why",
    ]
    list_select_related = ["person", "user"]

    @admin.display(description=_("who"))
    def who(self, row: AccessLog) -> str:
        if row.person is not None:
            return row.person.name
        return row.user.get_username() if row.user is not None else "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
