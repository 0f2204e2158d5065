from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "lastmeter.triage"
    label = "triage"
    verbose_name = _("Triage")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        # Models exist only once the app registry is ready, hence imports here, not at the top.
        from lastmeter.appeals.models import Appeal, Category
        from lastmeter.triage.open_appeals import mark_dirty
        from lastmeter.triage.services import forget_categories

        def changed(sender, instance, **kwargs):
            # The duplicate index re-reads this appeal before its next search.
            mark_dirty(instance.pk)

        post_save.connect(changed, sender=Appeal, weak=False, dispatch_uid="triage-dup-index-save")
        post_delete.connect(changed, sender=Appeal, weak=False, dispatch_uid="triage-dup-index-delete")

        def categories_changed(sender, **kwargs):
            forget_categories()

        for signal, name in ((post_save, "save"), (post_delete, "delete")):
            signal.connect(
                categories_changed, sender=Category, weak=False, dispatch_uid=f"triage-categories-{name}"
            )
