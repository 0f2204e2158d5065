"""`lastmeter serve`: the ASGI server (uvicorn by default, daphne on request) with, on the embedded
default, the worker in-process.

uvicorn, with httptools and uvloop, spends less CPU per request than daphne (Twisted) on the same
application (docs/BENCHMARKS.md, "ASGI server"); both speak websockets. Neither rewrites the client's
address from X-Forwarded-For: the trusted-proxy middleware does that, once, as LASTMETER_TRUSTED_PROXIES
says.
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from lastmeter.roads.services import warm_in_background as warm_roads
from lastmeter.stats.hotspots import warm_in_background as warm_hotspots
from lastmeter.triage.services import warm_in_background as warm_triage
from lastmeter.worker import start_in_process

APPLICATION = "lastmeter.asgi:application"
# Seconds a stopping uvicorn lets requests in flight finish before it closes what is left (the
# websockets: their clients reconnect to another web process).
GRACEFUL_S = 10
# How long uvicorn keeps an idle keep-alive connection: longer than the proxy keeps its idle
# upstream connections (nginx's keepalive_timeout, 60 s in deploy/nginx), so that it is always
# the proxy that closes one. With uvicorn's default (5 s) nginx could send a request on a
# connection uvicorn was closing: "connection reset by peer", a 502 for the client, as the load
# benchmark's 2x2 run saw 31 times in 300 s (docs/BENCHMARKS.md, "Load").
KEEP_ALIVE_S = 75


class Command(BaseCommand):
    help = "Serve lastmeter over HTTP and websockets (uvicorn or daphne); runs the worker in-process unless disabled."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--server",
            choices=["uvicorn", "daphne"],
            default=None,
            help="the ASGI server (default: LASTMETER_ASGI_SERVER, uvicorn)",
        )

    def handle(self, *args, host="127.0.0.1", port=8000, server=None, **options):
        server = server or settings.LASTMETER_ASGI_SERVER
        if server not in ("uvicorn", "daphne"):
            raise CommandError(f"unknown ASGI server {server!r}: uvicorn or daphne")
        call_command("collectstatic", interactive=False, verbosity=0)
        # Load the road network and the triage models, and compile the hotspot statistic, now, so the
        # first recommendation, resident's message and hotspot map do not wait for them.
        warm_roads()
        warm_triage()
        warm_hotspots()
        if settings.LASTMETER_INPROCESS_WORKER:
            start_in_process()
        self.stdout.write(f"lastmeter on http://{host}:{port}/ ({server})")
        self.stdout.flush()
        if server == "daphne":
            from daphne.cli import CommandLineInterface

            CommandLineInterface().run(["-b", host, "-p", str(port), APPLICATION])
            return
        import uvicorn

        uvicorn.run(
            APPLICATION,
            host=host,
            port=port,
            lifespan="off",  # Django and Channels do not speak the lifespan protocol
            proxy_headers=False,
            access_log=False,
            log_level="warning",
            timeout_graceful_shutdown=GRACEFUL_S,
            timeout_keep_alive=KEEP_ALIVE_S,
        )
