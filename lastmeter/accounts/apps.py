from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "lastmeter.accounts"
    label = "accounts"
    verbose_name = _("People and organisation")

    def ready(self) -> None:
        # A lock-out (django-axes) is written to the access log, beside the views of personal data.
        from axes.signals import user_locked_out

        from lastmeter.accounts.services import log_lockout  # models load only once apps are ready

        user_locked_out.connect(log_lockout, dispatch_uid="lastmeter.accounts.log_lockout")
