"""Administration of the chat groups the station's bots post to, and of the SMS subscribers.

Groups are set up here (platform, robot webhook, community, grids); when a platform said the bot
was removed, the action "the bot is back in the group" lets broadcasts reach it again. Opening a
subscriber shows a phone number: that is logged, as for every row holding personal data.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from lastmeter.accounts.admin import LogPersonalDataAdmin
from lastmeter.broadcasts.models import ChatGroup, SmsSubscriber
from lastmeter.lib.text import mask_phone


@admin.register(ChatGroup)
class ChatGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "platform", "community", "bot_removed_at"]
    list_filter = ["platform", "community"]
    search_fields = ["name", "chat_id"]
    filter_horizontal = ["grids"]
    actions = ["bot_is_back"]

    @admin.action(description=_("The bot is back in the group"))
    def bot_is_back(self, request: HttpRequest, queryset: QuerySet[ChatGroup]) -> None:
        queryset.update(bot_removed_at=None, bot_removed_reason="")


@admin.register(SmsSubscriber)
class SmsSubscriberAdmin(LogPersonalDataAdmin):
    access_log_what = "admin: SMS subscriber"
    list_display = ["masked_phone", "community", "opted_in_at", "opt_in_channel", "opted_out_at"]
    list_filter = ["community", "opt_in_channel"]

    @admin.display(description=_("phone"))
    def masked_phone(self, row: SmsSubscriber) -> str:
        return mask_phone(row.phone)
