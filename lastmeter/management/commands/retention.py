"""`lastmeter retention [--dry-run]`: erase the personal data of appeals finished more than
LASTMETER_RETENTION_DAYS ago (lastmeter.ops.retention; the worker runs it daily)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from lastmeter.ops.retention import run_retention


class Command(BaseCommand):
    help = (
        "Erase the reporter's name, phone, e-mail, photos and chat text of appeals closed more than "
        "LASTMETER_RETENTION_DAYS days ago; the figures keep every count. --dry-run only counts them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count the appeals due, erase nothing")

    def handle(self, *args, dry_run=False, **options):
        run = run_retention(dry_run=dry_run)
        days = settings.LASTMETER_RETENTION_DAYS
        self.stdout.write(
            f"{run.due} appeals finished before {run.cutoff:%Y-%m-%d %H:%M} UTC ({days} days) hold personal data"
        )
        if dry_run:
            self.stdout.write("dry run: nothing erased")
            return
        detail = ", ".join(f"{kind}: {n}" for kind, n in sorted(run.rows.items()))
        self.stdout.write(f"erased {run.erased} appeals" + (f" ({detail})" if detail else ""))
