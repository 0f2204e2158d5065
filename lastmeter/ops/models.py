"""What operations needs to remember: each worker process's last heartbeat."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """The last pass of one worker process (``host:pid``), written after every pass of the loop.

    /readyz reads the newest; a worker that stops beating for LASTMETER_WORKER_STALE_S is reported.
    Rows of dead processes are pruned after a day (``ops.health.beat``)."""

    worker = models.CharField(_("worker"), max_length=200, unique=True)
    beat_at = models.DateTimeField(_("last heartbeat"), db_index=True)
    passes = models.PositiveBigIntegerField(_("passes"), default=0)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.worker} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
