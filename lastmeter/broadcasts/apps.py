from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BroadcastsConfig(AppConfig):
    name = "lastmeter.broadcasts"
    label = "broadcasts"
    verbose_name = _("Broadcasts and alerts")

    def ready(self) -> None:
        # Imported here, not at the top: the sender and the reply hook use models, which exist
        # only once the app registry is ready.
        from lastmeter.appeals.notify.outbox import register_channel_backend
        from lastmeter.broadcasts.replies import on_reply
        from lastmeter.broadcasts.senders import GroupSender
        from lastmeter.intake.hooks import register_reply_hook

        register_channel_backend("broadcast", GroupSender)
        register_reply_hook(on_reply)
