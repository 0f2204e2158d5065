"""`lastmeter simulate` — move the demo units along real road routes (see lastmeter.demo.simulator)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from lastmeter.demo.simulator import simulate_step


class Command(BaseCommand):
    help = "Simulate the units: answer dispatches, drive routes, patrol. Ctrl-C to stop."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=2.0, help="real seconds between steps")
        parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
        parser.add_argument(
            "--steps", type=int, default=0, help="stop after this many steps (0: run forever)"
        )

    def handle(self, *args, **opts) -> None:
        interval, speed, steps = opts["interval"], opts["speed"], opts["steps"]
        if interval <= 0 or speed <= 0 or steps < 0:
            raise CommandError("--interval and --speed must be positive, --steps non-negative")
        n = 0
        try:
            while steps == 0 or n < steps:
                started = time.monotonic()
                close_old_connections()
                counts = simulate_step(interval * speed)
                n += 1
                if opts["verbosity"] >= 2 or steps:
                    self.stdout.write(f"step {n}: {counts}")
                if steps == 0 or n < steps:
                    time.sleep(max(0.0, interval - (time.monotonic() - started)))
        except KeyboardInterrupt:
            self.stdout.write("stopped")
