"""The retention job: the personal data of a finished appeal, complaint or mediation case is
erased a set number of days after it was finished, while the figures keep every count and time.

Appeals: closed or merged more than ``LASTMETER_RETENTION_DAYS`` ago (``appeals.retention`` with
the chat text behind them, ``intake.retention``). Complaints: closed or withdrawn more than
``LASTMETER_COMPLAINT_RETENTION_DAYS`` ago (``complaints.retention``). Mediation cases: closed
more than ``LASTMETER_MEDIATION_RETENTION_DAYS`` ago and past the recurrence horizon
(``mediation.retention``). Inbound items that became no appeal (chatter, refusals): received more
than ``LASTMETER_INBOUND_RETENTION_DAYS`` ago (``intake.retention``).

Run daily on the task engine (``lastmeter/worker.py``: a periodic task on PostgreSQL's
procrastinate, the in-process engine on SQLite) and by hand as ``lastmeter retention
[--dry-run]``. One transaction per record: its erasure and an access-log row saying what was
erased and why, so the log answers "who removed this reporter's number?" as it answers "who
looked at it?". Stored files (photos, evidence, reply letters) are deleted once that transaction
has committed. Safe to run twice at once: each record is locked and its
``personal_data_erased_at`` checked under the lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils import timezone

from lastmeter.accounts.services import log_access
from lastmeter.appeals import retention as appeals_retention
from lastmeter.appeals.retention import Erased
from lastmeter.complaints import retention as complaints_retention
from lastmeter.intake import retention as intake_retention
from lastmeter.intake.retention import do_erase_chat_text
from lastmeter.mediation import retention as mediation_retention

log = logging.getLogger("lastmeter.retention")

ERASED = "personal data erased (retention)"
BATCH = 200


def _erase_appeal(appeal_id: int, now: datetime) -> Erased | None:
    erased = appeals_retention.do_erase_personal_data(appeal_id, now)
    if erased is not None:
        erased.rows["chat items"] = do_erase_chat_text(appeal_id)
    return erased


@dataclass(frozen=True)
class Kind:
    """One kind of record the job erases: its period's setting, which are due, how to erase one."""

    name: str  # as the command prints it: "appeals"
    days_setting: str
    due: Callable[[datetime, datetime], models.QuerySet]  # (cutoff, now) → the due records
    erase: Callable[[int, datetime], Erased | None]
    since: str = "finished"  # the access log's reason: "<since> more than N days ago"

    @property
    def days(self) -> int:
        return int(getattr(settings, self.days_setting))

    def cutoff(self, now: datetime) -> datetime:
        return now - timedelta(days=self.days)


KINDS = (
    Kind(
        "appeals",
        "LASTMETER_RETENTION_DAYS",
        lambda cutoff, now: appeals_retention.due_for_erasure(cutoff),
        _erase_appeal,
    ),
    Kind(
        "complaints",
        "LASTMETER_COMPLAINT_RETENTION_DAYS",
        lambda cutoff, now: complaints_retention.due_for_erasure(cutoff),
        complaints_retention.do_erase_personal_data,
    ),
    Kind(
        "mediation cases",
        "LASTMETER_MEDIATION_RETENTION_DAYS",
        mediation_retention.due_for_erasure,
        mediation_retention.do_erase_personal_data,
    ),
    Kind(
        "inbound items without an appeal",
        "LASTMETER_INBOUND_RETENTION_DAYS",
        lambda cutoff, now: intake_retention.due_for_erasure(cutoff),
        intake_retention.do_erase_unlinked_item,
        since="received",
    ),
)


@dataclass
class KindRun:
    """What one run found and erased of one kind."""

    cutoff: datetime
    days: int
    since: str = "finished"
    due: int = 0
    erased: int = 0


@dataclass
class RetentionRun:
    """What one run found (``due``) and erased, in total, per kind, and row counts by kind of row.
    ``cutoff`` is the appeals' (the command's first line)."""

    cutoff: datetime
    due: int = 0
    erased: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, KindRun] = field(default_factory=dict)


def cutoff(now: datetime | None = None) -> datetime:
    return KINDS[0].cutoff(now or timezone.now())


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            # The row is gone either way; a file left behind is reported, not fatal.
            log.exception("retention: could not delete the stored file %s", name)


def erase_one(kind: Kind, record: models.Model, now: datetime, why: str) -> dict[str, int] | None:
    """Erase one record in its own transaction; row counts, or None if it was not due any more."""
    with transaction.atomic():
        erased = kind.erase(record.pk, now)
        if erased is None:
            return None
        counts = ", ".join(f"{what} {n}" for what, n in erased.rows.items() if n)
        log_access(None, ERASED, record, f"{why}; {counts}")
        files = erased.files
        transaction.on_commit(lambda: _delete_files(files))
    return erased.rows


def _run_kind(kind: Kind, run: RetentionRun, now: datetime, dry_run: bool, limit: int | None) -> None:
    part = KindRun(cutoff=kind.cutoff(now), days=kind.days, since=kind.since)
    run.kinds[kind.name] = part
    due = kind.due(part.cutoff, now)
    part.due = due.count()
    run.due += part.due
    if dry_run:
        return
    why = f"{kind.since} more than {part.days} days ago"
    last_pk = 0
    while limit is None or run.erased < limit:
        # By primary key in batches: the erased leave the queryset, so no offset is needed.
        batch = list(due.filter(pk__gt=last_pk).order_by("pk")[:BATCH])
        if not batch:
            break
        for record in batch:
            last_pk = record.pk
            rows = erase_one(kind, record, now, why)
            if rows is None:
                continue
            part.erased += 1
            run.erased += 1
            for what, n in rows.items():
                run.rows[what] = run.rows.get(what, 0) + n
            if limit is not None and run.erased >= limit:
                break


def run_retention(
    *, dry_run: bool = False, now: datetime | None = None, limit: int | None = None
) -> RetentionRun:
    """Erase every due appeal, complaint, mediation case and unlinked inbound item (at most ``limit``
    in all); with
    ``dry_run`` only count them."""
    now = now or timezone.now()
    run = RetentionRun(cutoff=cutoff(now))
    for kind in KINDS:
        _run_kind(kind, run, now, dry_run, limit)
    if run.erased:
        erased = {name: part.erased for name, part in run.kinds.items() if part.erased}
        log.info("retention: erased the personal data of %s (%s)", erased, run.rows)
    return run


def retention_job() -> dict[str, int]:
    """The worker's daily job: counts for the log, as every job returns."""
    run = run_retention()
    return {"retention_erased": run.erased}


__all__ = [
    "ERASED",
    "KINDS",
    "Kind",
    "KindRun",
    "RetentionRun",
    "cutoff",
    "erase_one",
    "retention_job",
    "run_retention",
]
