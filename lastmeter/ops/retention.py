"""The retention job: a finished appeal's personal data is erased ``LASTMETER_RETENTION_DAYS``
after it was closed (or merged into another), while the figures keep every count and time.

Run daily on the task engine (``lastmeter/worker.py``: a periodic task on PostgreSQL's
procrastinate, the in-process engine on SQLite) and by hand as ``lastmeter retention
[--dry-run]``. One transaction per appeal: the appeal's part (``appeals.retention``), the chat
text behind it (``intake.retention``) and an access-log row saying what was erased and why, so
the log answers "who removed this reporter's number?" as it answers "who looked at it?". The
stored photos are deleted once that transaction has committed. Safe to run twice at once: each
appeal is locked and its ``personal_data_erased_at`` checked under the lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from lastmeter.accounts.services import log_access
from lastmeter.appeals.models import Appeal
from lastmeter.appeals.retention import do_erase_personal_data, due_for_erasure
from lastmeter.intake.retention import do_erase_chat_text

log = logging.getLogger("lastmeter.retention")

ERASED = "personal data erased (retention)"
BATCH = 200


@dataclass
class RetentionRun:
    """What one run found (``due``) and erased, row counts by kind."""

    cutoff: datetime
    due: int = 0
    erased: int = 0
    rows: dict[str, int] = field(default_factory=dict)


def cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.LASTMETER_RETENTION_DAYS)


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            # The row is gone either way; a file left behind is reported, not fatal.
            log.exception("retention: could not delete the stored file %s", name)


def erase_one(appeal: Appeal, now: datetime, why: str) -> dict[str, int] | None:
    """Erase one appeal in its own transaction; row counts, or None if it was not due any more."""
    with transaction.atomic():
        erased = do_erase_personal_data(appeal.pk, now)
        if erased is None:
            return None
        erased.rows["chat items"] = do_erase_chat_text(appeal.pk)
        counts = ", ".join(f"{kind} {n}" for kind, n in erased.rows.items() if n)
        log_access(None, ERASED, appeal, f"{why}; {counts}")
        files = erased.files
        transaction.on_commit(lambda: _delete_files(files))
    return erased.rows


def run_retention(
    *, dry_run: bool = False, now: datetime | None = None, limit: int | None = None
) -> RetentionRun:
    """Erase every due appeal (at most ``limit``); with ``dry_run`` only count them."""
    now = now or timezone.now()
    run = RetentionRun(cutoff=cutoff(now))
    due = due_for_erasure(run.cutoff)
    run.due = due.count()
    if dry_run:
        return run
    why = f"closed more than {settings.LASTMETER_RETENTION_DAYS} days ago"
    last_pk = 0
    while limit is None or run.erased < limit:
        # By primary key in batches: the erased leave the queryset, so no offset is needed.
        batch = list(due.filter(pk__gt=last_pk).order_by("pk")[:BATCH])
        if not batch:
            break
        for appeal in batch:
            last_pk = appeal.pk
            rows = erase_one(appeal, now, why)
            if rows is None:
                continue
            run.erased += 1
            for kind, n in rows.items():
                run.rows[kind] = run.rows.get(kind, 0) + n
            if limit is not None and run.erased >= limit:
                break
    if run.erased:
        log.info("retention: erased the personal data of %d appeals (%s)", run.erased, run.rows)
    return run


def retention_job() -> dict[str, int]:
    """The worker's daily job: counts for the log, as every job returns."""
    run = run_retention()
    return {"retention_erased": run.erased}


__all__ = ["ERASED", "RetentionRun", "cutoff", "erase_one", "retention_job", "run_retention"]
