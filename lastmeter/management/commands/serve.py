"""`lastmeter serve`: the ASGI server (daphne) with, on the embedded default, the worker in-process."""

from daphne.cli import CommandLineInterface
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from lastmeter.roads.services import warm_in_background as warm_roads
from lastmeter.stats.hotspots import warm_in_background as warm_hotspots
from lastmeter.triage.services import warm_in_background as warm_triage
from lastmeter.worker import start_in_process


class Command(BaseCommand):
    help = "Serve lastmeter over HTTP and websockets (daphne); runs the worker in-process unless disabled."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host="127.0.0.1", port=8000, **options):
        call_command("collectstatic", interactive=False, verbosity=0)
        # Load the road network and the triage models, and compile the hotspot statistic, now, so the
        # first recommendation, resident's message and hotspot map do not wait for them.
        warm_roads()
        warm_triage()
        warm_hotspots()
        if settings.LASTMETER_INPROCESS_WORKER:
            start_in_process()
        self.stdout.write(f"lastmeter on http://{host}:{port}/")
        CommandLineInterface().run(["-b", host, "-p", str(port), "lastmeter.asgi:application"])
