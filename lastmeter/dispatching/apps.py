from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchingConfig(AppConfig):
    name = "lastmeter.dispatching"
    label = "dispatching"
    verbose_name = _("Dispatching")

    def ready(self) -> None:
        # Models are loaded only now (app registry), hence the import here rather than at the top.
        from lastmeter.dispatching.catchup import open_sos_events
        from lastmeter.dispatching.selectors import command_group_ids_for_person
        from lastmeter.realtime.events import register_catch_up, register_command_group_lookup

        register_command_group_lookup(command_group_ids_for_person)
        # A screen that (re)connects is sent the open SOS alarms it may have missed.
        register_catch_up(open_sos_events)
