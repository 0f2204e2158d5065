from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchingConfig(AppConfig):
    name = "lastmeter.dispatching"
    label = "dispatching"
    verbose_name = _("Dispatching")

    def ready(self) -> None:
        # Models are loaded only now (app registry), hence the import here rather than at the top.
        from lastmeter.dispatching.selectors import command_group_ids_for_person
        from lastmeter.realtime.events import register_command_group_lookup

        register_command_group_lookup(command_group_ids_for_person)
