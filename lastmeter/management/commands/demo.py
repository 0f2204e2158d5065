"""`lastmeter demo`: migrate, then load the demo jurisdiction (see lastmeter.demo); with
``--history N``, also draw N appeals of history over ``--years`` (lastmeter.demo.history)."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from lastmeter.demo.history_writer import generate_history
from lastmeter.demo.loader import load_demo
from lastmeter.demo.organisation import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Migrate and load the demo jurisdiction (central Shanghai) if it is not there yet."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="the port `lastmeter serve` will use")
        parser.add_argument(
            "--history",
            type=int,
            default=0,
            metavar="N",
            help="also generate N appeals of history (seasonal, weekly and daily rhythm) on the demo's grids",
        )
        parser.add_argument("--years", type=float, default=3, help="years of history (default 3)")
        parser.add_argument("--seed", type=int, default=20240101, help="random seed of the history")

    def handle(self, *args, port=8000, history=0, years=3, seed=20240101, **options):
        if history < 0 or not 0 < years <= 10:
            raise CommandError("--history must be ≥ 0 and --years between 0 and 10")
        call_command("migrate", verbosity=0)
        created = load_demo(self.stdout)
        if not created:
            self.stdout.write("demo already loaded")
        if history:
            self.stdout.write(f"history: {history} appeals over {years:g} years (seed {seed})")
            timings = generate_history(
                history,
                years=years,
                seed=seed,
                report=lambda step, seconds, rows: self.stdout.write(
                    f"  {step}: {seconds:.1f} s" + (f" ({rows} rows)" if rows else "")
                ),
            )
            self.stdout.write(f"history done in {sum(timings.values()):.1f} s")
        self.stdout.write(
            f"log in at http://127.0.0.1:{port}/ as admin, dispatcher, officer1 … officer6, liaison — "
            f"password {DEMO_PASSWORD}"
        )
        if not settings.LASTMETER_REQUIRE_2FA:
            self.stdout.write(
                "two-factor sign-in is off for this demo (a banner says so); LASTMETER_REQUIRE_2FA=1 turns it on"
            )
        self.stdout.write(
            "the demo simulates activity (moving units, new appeals, incidents, SOS) while it is served; "
            "LASTMETER_DEMO_SIMULATION=0 turns that off"
        )
