"""`lastmeter retention [--dry-run]`: erase the personal data of appeals, complaints and mediation
cases finished longer ago than their retention periods (lastmeter.ops.retention; the worker runs
it daily)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from lastmeter.ops.retention import run_retention


class Command(BaseCommand):
    help = (
        "Erase the personal data (names, phones, e-mail, addresses, photos, letters, chat text and "
        "free text) of appeals closed more than LASTMETER_RETENTION_DAYS days ago, complaints closed "
        "more than LASTMETER_COMPLAINT_RETENTION_DAYS and mediation cases closed more than "
        "LASTMETER_MEDIATION_RETENTION_DAYS; the figures keep every count. --dry-run only counts them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count the records due, erase nothing")

    def handle(self, *args, dry_run=False, **options):
        run = run_retention(dry_run=dry_run)
        for name, part in run.kinds.items():
            self.stdout.write(
                f"{part.due} {name} {part.since} before {part.cutoff:%Y-%m-%d %H:%M} UTC ({part.days} days) "
                "hold personal data"
            )
        if dry_run:
            self.stdout.write("dry run: nothing erased")
            return
        detail = ", ".join(f"{kind}: {n}" for kind, n in sorted(run.rows.items()))
        erased = ", ".join(f"{part.erased} {name}" for name, part in run.kinds.items())
        self.stdout.write(f"erased {erased}" + (f" ({detail})" if detail else ""))
