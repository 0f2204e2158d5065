from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "lastmeter.intake"
    label = "intake"
    verbose_name = _("Intake")

    def ready(self) -> None:
        # Each chat platform answers the reporter through its own send API, via the outbox.
        # Imported here, not at the top: the senders import models, which exist only once the
        # app registry is ready.
        from lastmeter.appeals.notify.outbox import register_channel_backend
        from lastmeter.intake.channels.dingtalk.sender import DingTalkSender
        from lastmeter.intake.channels.feishu.sender import FeishuSender
        from lastmeter.intake.channels.telegram.sender import TelegramSender
        from lastmeter.intake.channels.wecom.sender import WeComSender

        register_channel_backend("telegram", TelegramSender)
        register_channel_backend("dingtalk", DingTalkSender)
        register_channel_backend("feishu", FeishuSender)
        register_channel_backend("wecom", WeComSender)
