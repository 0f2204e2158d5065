"""`lastmeter demo`: migrate, then load the demo jurisdiction (see lastmeter.demo); with
``--history N``, also draw N appeals of history over ``--years`` (lastmeter.demo.history).

A freshly loaded demo gets DEFAULT_HISTORY appeals over DEFAULT_YEARS unless ``--history`` says
otherwise (``--history 0``: none): without a past, every dashboard's year-on-year column and the
monthly trend would be empty, which is not what a station sees after its first year."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from lastmeter.demo.history_writer import generate_history
from lastmeter.demo.loader import load_demo
from lastmeter.demo.organisation import DEMO_PASSWORD

# About 15 s on SQLite: two years of a small station's appeals, enough for YoY and trends.
DEFAULT_HISTORY = 20_000
DEFAULT_YEARS = 2


def history_to_draw(history: int | None, years: float | None, *, created: bool) -> tuple[int, float]:
    """(appeals, years) of history to draw: what was asked, else the default for a demo loaded
    now, else none (a demo loaded earlier already has its past; drawing again would double it)."""
    if history is None:
        return (DEFAULT_HISTORY, years or DEFAULT_YEARS) if created else (0, 0)
    return history, years or 3


class Command(BaseCommand):
    help = "Migrate and load the demo jurisdiction (central Shanghai) if it is not there yet."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="the port `lastmeter serve` will use")
        parser.add_argument(
            "--history",
            type=int,
            default=None,
            metavar="N",
            help="also generate N appeals of history (seasonal, weekly and daily rhythm) on the demo's grids "
            f"(default: {DEFAULT_HISTORY:,} over {DEFAULT_YEARS} years when the demo is loaded now, else none)",
        )
        parser.add_argument("--years", type=float, default=None, help="years of history (default 3)")
        parser.add_argument("--seed", type=int, default=20240101, help="random seed of the history")

    def handle(self, *args, port=8000, history=None, years=None, seed=20240101, **options):
        if (history is not None and history < 0) or (years is not None and not 0 < years <= 10):
            raise CommandError("--history must be ≥ 0 and --years between 0 and 10")
        call_command("migrate", verbosity=0)
        created = load_demo(self.stdout)
        if not created:
            self.stdout.write("demo already loaded")
        history, years = history_to_draw(history, years, created=created)
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
