"""Labels for training the triage models, from staff corrections and imports."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LabelTask(models.TextChoices):
    CATEGORY = "category", _("Category of an appeal")
    APPEAL_OR_NOT = "appeal_or_not", _("Is this message an appeal?")


class LabelSource(models.TextChoices):
    STAFF = "staff", _("Staff correction")
    INTAKE_REVERSAL = "intake_reversal", _("Staff reversed an intake decision")
    IMPORT = "import", _("Imported labelled data")
    DEMO = "demo", _("Demo examples")


class TriageLabel(models.Model):
    """One labelled text: what a message is (category code, or appeal/not), usable for training
    (`lastmeter triage train --from-labels`). Staff corrections of a category write one row."""

    task = models.CharField(max_length=20, choices=LabelTask.choices, default=LabelTask.CATEGORY)
    text = models.TextField()
    label = models.CharField(max_length=120)
    previous_label = models.CharField(max_length=120, blank=True)
    source = models.CharField(max_length=20, choices=LabelSource.choices, default=LabelSource.STAFF)
    appeal = models.ForeignKey(
        "appeals.Appeal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by = models.ForeignKey(
        "accounts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("triage label")
        verbose_name_plural = _("triage labels")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["task", "label"])]

    def __str__(self) -> str:
        return f"{self.task}: {self.label} ← {self.text[:30]}"
