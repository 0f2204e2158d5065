"""`lastmeter worker`: the background jobs of every app in a loop (see lastmeter.worker)."""

from django.core.management.base import BaseCommand

from lastmeter.worker import run_forever, run_once


class Command(BaseCommand):
    help = "Sweep clocks (warnings, breaches, escalation), retry inbound items and deliver the outbox, in a loop."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between passes")

    def handle(self, *args, once=False, interval=5.0, **options):
        if once:
            self.stdout.write(str(run_once()))
            return
        run_forever(interval)
