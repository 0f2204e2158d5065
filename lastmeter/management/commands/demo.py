"""`lastmeter demo`: migrate, then load the demo jurisdiction (see lastmeter.demo)."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from lastmeter.demo.loader import load_demo
from lastmeter.demo.organisation import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Migrate and load the demo jurisdiction (central Shanghai) if it is not there yet."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="the port `lastmeter serve` will use")

    def handle(self, *args, port=8000, **options):
        call_command("migrate", verbosity=0)
        created = load_demo(self.stdout)
        if not created:
            self.stdout.write("demo already loaded")
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
