from django.contrib import admin

from lastmeter.accounts.admin import LogPersonalDataAdmin
from lastmeter.appeals.models import (
    Appeal,
    AppealEvent,
    Category,
    Clock,
    ClockPolicy,
    OutboxMessage,
    Transfer,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent", "department", "default_priority"]
    list_filter = ["department"]
    search_fields = ["code", "name", "name_en"]


@admin.register(ClockPolicy)
class ClockPolicyAdmin(admin.ModelAdmin):
    list_display = ["kind", "category", "amount", "unit", "pause_while_waiting"]
    list_filter = ["kind", "unit"]


class EventInline(admin.TabularInline):
    model = AppealEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "kind", "actor", "actor_label", "channel", "from_state", "to_state", "note"]


class ClockInline(admin.TabularInline):
    model = Clock
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "state", "started_at", "due_at", "warned_at", "breached_at", "met_at")
    fields = readonly_fields


@admin.register(Appeal)
class AppealAdmin(LogPersonalDataAdmin):
    """Read-mostly: state changes go through the services (pages/API), never through this form.
    Opening an appeal here shows the reporter's name, phone and text: it is logged."""

    access_log_what = "admin: appeal"

    list_display = ["reference", "state", "channel", "category", "grid", "assignee", "created_at"]
    list_filter = ["state", "channel", "grid"]
    search_fields = ["reference", "text"]
    readonly_fields = [
        "state",
        "reference",
        "tracking_token",
        "merged_into",
        "escalation_level",
        "next_deadline_at",
    ]
    inlines = [ClockInline, EventInline]


@admin.register(Transfer)
class TransferAdmin(admin.ModelAdmin):
    list_display = ["appeal", "department", "state", "created_at", "decided_at"]
    list_filter = ["state", "department"]
    readonly_fields = ["state"]


@admin.register(OutboxMessage)
class OutboxAdmin(LogPersonalDataAdmin):
    """The state says what happened: "logged, not delivered" rows went to a console backend
    (no provider configured) and never reached anyone. A message holds the recipient's number."""

    access_log_what = "admin: outbox message"
    list_display = ["key", "transport", "state", "attempts", "next_attempt_at", "sent_at", "last_error"]
    list_filter = ["state", "transport"]
    readonly_fields = ["state", "sent_at"]
