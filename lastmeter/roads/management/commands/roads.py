"""`lastmeter roads info|cache|route` — inspect the road network and (re)build its .npz cache.

A command cannot reach a running server's memory.  `lastmeter roads cache` rewrites the cache file;
running servers notice the new file's mtime within LASTMETER_ROAD_CHECK_S and reload it in the
background (see lastmeter.roads.services).  It also bumps the reload generation in the Django cache,
which reaches servers sharing it (Redis).  To reload one server at once: POST /api/v1/roads/reload.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lastmeter.roads import services
from lastmeter.roads.api import parse_point


class Command(BaseCommand):
    help = "Road network: info (load and describe), cache (rebuild the .npz cache), route A B."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["info", "cache", "route"])
        parser.add_argument("points", nargs="*", help="for route: 'lat,lon' 'lat,lon'")
        parser.add_argument("--file", help="road file (default: LASTMETER_ROAD_FILE)")

    def handle(self, *args, **opts) -> None:
        action = opts["action"]
        source = Path(opts["file"]) if opts.get("file") else services.source_path()
        try:
            if action == "cache":
                cache = services.cache_path_for(source)
                if cache.exists():
                    cache.unlink()  # force a rebuild from the source
                t0 = time.monotonic()
                graph = services.read_graph(source, cache)
                generation = services._bump_generation()
                self.stdout.write(
                    f"{cache}: {graph.n_nodes} nodes, {graph.n_edges} edges "
                    f"({time.monotonic() - t0:.1f}s); reload generation {generation}"
                )
                return
            t0 = time.monotonic()
            info = services.reload_network(source, bump=False)
            if action == "info":
                info["load_s"] = round(time.monotonic() - t0, 2)
                self.stdout.write(json.dumps(info, ensure_ascii=False, indent=2))
                return
            if len(opts["points"]) != 2:
                raise CommandError("route needs two points: 'lat,lon' 'lat,lon'")
            a = parse_point(opts["points"][0], "from")
            b = parse_point(opts["points"][1], "to")
            payload = services.route_payload(services.route_between(a, b))
            payload.pop("geometry")
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
        except services.RoadError as exc:
            raise CommandError(str(exc)) from None
