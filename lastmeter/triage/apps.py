from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "lastmeter.triage"
    label = "triage"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from lastmeter.appeals.models import Appeal
        from lastmeter.triage.open_appeals import mark_dirty

        def changed(sender, instance, **kwargs):
            # The duplicate index re-reads this appeal before its next search.
            mark_dirty(instance.pk)

        post_save.connect(changed, sender=Appeal, weak=False, dispatch_uid="triage-dup-index-save")
        post_delete.connect(changed, sender=Appeal, weak=False, dispatch_uid="triage-dup-index-delete")
