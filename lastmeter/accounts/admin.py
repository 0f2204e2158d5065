"""The accounts admin, the read-only access log, and the mixin that logs views of personal data.

``LogPersonalDataAdmin`` is public: the admins of appeals and intake use it for their models that
hold a reporter's data, so each change page opened writes one AccessLog row.
"""

from __future__ import annotations

from typing import Any

from axes.utils import reset as axes_reset
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

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
from lastmeter.accounts.tokens import revoke_token
from lastmeter.accounts.twofactor import forget_devices


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


# django-otp's own admin pages would show each device's key as a QR code to every administrator;
# staff reset a lost authenticator from the person's page instead (the action below).
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)


@admin.register(Person)
class PersonAdmin(LogPersonalDataAdmin):
    access_log_what = "admin: person"
    list_display = ["name", "badge", "volunteer_kind", "active"]
    search_fields = ["name", "badge"]
    list_filter = ["active", "volunteer_kind", "roles__role"]
    inlines = [RoleInline]
    actions = ["reset_two_factor", "unlock_sign_in"]

    @admin.action(description=_("Reset two-factor sign-in (a lost phone: they enrol again)"))
    def reset_two_factor(self, request: HttpRequest, queryset: Any) -> None:
        for person in queryset.select_related("user"):
            if person.user is not None:
                forget_devices(person.user)

    @admin.action(description=_("Unlock sign-in after too many wrong passwords"))
    def unlock_sign_in(self, request: HttpRequest, queryset: Any) -> None:
        for person in queryset.select_related("user"):
            if person.user is not None:
                axes_reset(username=person.user.get_username())


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
    """Tokens are issued with `lastmeter tokens issue` (the raw token is printed once); here they
    are listed and revoked, never created or edited."""

    list_display = [
        "person",
        "label",
        "prefix",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["label", "prefix", "person__name"]
    readonly_fields = [
        "person",
        "label",
        "prefix",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    exclude = ["key_hash"]
    actions = ["revoke"]

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for token_id in queryset.values_list("id", flat=True):
            revoke_token(token_id)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


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
