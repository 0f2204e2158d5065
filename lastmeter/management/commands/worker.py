"""`lastmeter worker`: the task engine's worker — the apps' background jobs (see lastmeter.worker)."""

import asyncio
import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lastmeter.worker import run_once, run_worker


class Command(BaseCommand):
    help = (
        "Run the background work on the task engine (procrastinate): deliver the outbox, retry inbound "
        "items, and sweep clocks (warnings, breaches, escalation), broadcasts and rollups on their "
        "schedules. Run several: each job goes to one of them. Stops cleanly on SIGINT/SIGTERM."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="one pass of every sweep in this process, then exit"
        )
        parser.add_argument(
            "--interval",
            type=int,
            default=None,
            help="seconds between two runs of each sweep, a divisor of 60 "
            "(default: LASTMETER_SWEEP_EVERY_S, 5)",
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            default=None,
            help="jobs this process runs at once (default: LASTMETER_WORKER_CONCURRENCY, 4; 1 on SQLite)",
        )

    def handle(self, *args, once=False, interval=None, concurrency=None, **options):
        if once:
            self.stdout.write(str(run_once()))
            return
        if interval is not None and (interval < 1 or 60 % interval):
            raise CommandError("--interval must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60)")
        if concurrency is not None and concurrency < 1:
            raise CommandError("--concurrency must be 1 or more")
        if settings.TASKS_IN_DATABASE:
            concurrency = concurrency or settings.LASTMETER_WORKER_CONCURRENCY
        else:
            concurrency = concurrency or 1  # SQLite takes one writer at a time
            self.stderr.write(
                "note: without PostgreSQL the queue is in this process's memory: this worker runs the "
                "sweeps; new messages are delivered by the sweep, or at once by `lastmeter serve`."
            )
        if settings.LASTMETER_WORKER_NICE > 0 and hasattr(os, "nice"):
            os.nice(settings.LASTMETER_WORKER_NICE)  # settings.py says why
        asyncio.run(run_worker(concurrency=concurrency, every_s=interval))
