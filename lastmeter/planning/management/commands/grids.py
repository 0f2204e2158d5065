"""`lastmeter grids …` — basic units, factors, accidents, platforms and plans from the command line.

  build-units        street units from the road network (LASTMETER_ROAD_FILE or --road-file)
  recount            recount accidents / difficulty / police strength from the database
  import-accidents   accident points from an open-data CSV (e.g. Barcelona 2017), then recount
  import-factors     unit factors (drivers_or_population, difficulty, …) from a CSV keyed by unit code
  import-platforms   platforms from a CSV (code,name,lat,lon[,kind])
  plan               create a plan, run the partition, print the report (--adopt to adopt it)
  service-areas      platform service areas: coverage and workload at a speed and response target

Bad input ends with a message and exit code 2.

The command lives in the planning app but keeps the name `grids` that the docs and pages give it.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from lastmeter.lib.importfiles import ImportRefused, read_import_text
from lastmeter.planning.choices import PlanTransitionError
from lastmeter.planning.platforms import do_save_platform, service_area_report
from lastmeter.planning.presenters import plan_detail
from lastmeter.planning.report import PlanError
from lastmeter.planning.services import PlanParams, do_adopt_plan, do_create_plan, do_preview_plan
from lastmeter.planning.unit_services import (
    do_build_units,
    do_recount_factors,
    import_accidents,
    import_factors,
)
from lastmeter.roads import services

ACTIONS = (
    "build-units",
    "recount",
    "import-accidents",
    "import-factors",
    "import-platforms",
    "plan",
    "service-areas",
)


class Command(BaseCommand):
    help = "Grid planning: " + ", ".join(ACTIONS)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=ACTIONS)
        parser.add_argument("file", nargs="?", help="CSV for the import actions")
        parser.add_argument("--road-file", help="road file for build-units (default: LASTMETER_ROAD_FILE)")
        parser.add_argument(
            "--target-length", type=float, default=400.0, help="unit length to merge up to (m)"
        )
        parser.add_argument(
            "--min-length", type=float, default=60.0, help="shorter units join a neighbour (m)"
        )
        parser.add_argument("--catchment", type=float, default=150.0, help="cell reach from the road (m)")
        parser.add_argument("--force", action="store_true", help="build-units: discard open plans")
        parser.add_argument("--source", default="", help="import-accidents: name of the data source")
        parser.add_argument("--lat-col")
        parser.add_argument("--lon-col")
        parser.add_argument("--id-col")
        parser.add_argument("--replace", action="store_true", help="import-accidents: replace this source")
        parser.add_argument("--k", type=int, help="plan: number of grids")
        parser.add_argument("--method", default="auto", choices=["auto", "exact", "heuristic"])
        parser.add_argument("--tolerance", type=float, default=0.05)
        parser.add_argument("--weights", help='plan: JSON, e.g. {"accidents": 0.5, "road_km": 0.5}')
        parser.add_argument("--auxiliaries", type=int, default=0)
        parser.add_argument("--name", default="")
        parser.add_argument("--adopt", action="store_true")
        parser.add_argument("--speed", type=float, default=60.0)
        parser.add_argument("--target", type=float, default=3.0)

    def handle(self, *args, **opts) -> None:
        try:
            getattr(self, "_" + opts["action"].replace("-", "_"))(opts)
        except (PlanError, PlanTransitionError, ImportRefused, OSError, UnicodeDecodeError) as exc:
            raise CommandError(str(exc), returncode=2) from None

    def _need_file(self, opts) -> Path:
        if not opts.get("file"):
            raise CommandError(f"{opts['action']} needs a CSV file", returncode=2)
        path = Path(opts["file"])
        if not path.exists():
            raise CommandError(f"{path} does not exist", returncode=2)
        return path

    def _build_units(self, opts) -> None:
        try:
            if opts.get("road_file"):
                source = Path(opts["road_file"])
                graph = services.read_graph(source, services.cache_path_for(source))
            else:
                source = services.source_path()
                graph = services.get_network().graph
        except services.RoadError as exc:
            raise CommandError(str(exc), returncode=2) from None
        s = do_build_units(
            graph,
            source=source.name,
            target_length_m=opts["target_length"],
            min_length_m=opts["min_length"],
            catchment_m=opts["catchment"],
            force=opts["force"],
        )
        self.stdout.write(
            f"{s.units} basic units from {source.name} ({s.created} new, {s.updated} updated, {s.removed} removed); "
            f"{s.adjacencies} adjacencies; {s.dropped_segments} road segments outside the main network left out"
            + (f"; {s.discarded_plans} open plan(s) discarded" if s.discarded_plans else "")
        )

    def _recount(self, opts) -> None:
        self.stdout.write(f"recounted {do_recount_factors()} basic units")

    def _import_accidents(self, opts) -> None:
        path = self._need_file(opts)
        source = opts["source"] or path.name.split(".")[0].replace("_", "-")[:60]
        s = import_accidents(
            path,
            source=source,
            lat_col=opts.get("lat_col"),
            lon_col=opts.get("lon_col"),
            id_col=opts.get("id_col"),
            replace=opts["replace"],
        )
        n = do_recount_factors()
        self.stdout.write(
            f"{s.read} rows read, {s.imported} accidents imported as '{source}', {s.skipped} skipped; "
            f"{n} basic units recounted"
        )

    def _import_factors(self, opts) -> None:
        path = self._need_file(opts)
        n, unknown = import_factors(read_import_text(path))
        self.stdout.write(
            f"{n} basic units updated" + (f"; unknown codes: {', '.join(unknown[:20])}" if unknown else "")
        )

    def _import_platforms(self, opts) -> None:
        path = self._need_file(opts)
        n = 0
        text = read_import_text(path)
        with transaction.atomic():  # a bad row leaves no platform of the file saved
            for row in csv.DictReader(io.StringIO(text)):
                try:
                    do_save_platform(
                        code=row["code"].strip(),
                        name=row["name"].strip(),
                        lat=float(row["lat"]),
                        lon=float(row["lon"]),
                        kind=(row.get("kind") or "platform").strip(),
                    )
                except (KeyError, ValueError) as exc:
                    raise PlanError(f"bad platform row {row!r}: {exc}") from None
                n += 1
        self.stdout.write(f"{n} platforms saved")

    def _plan(self, opts) -> None:
        if not opts.get("k"):
            raise CommandError("plan needs --k (the number of grids)", returncode=2)
        try:
            weights = json.loads(opts["weights"]) if opts.get("weights") else None
        except json.JSONDecodeError as exc:
            raise CommandError(f"--weights is not JSON: {exc}", returncode=2) from None
        plan = do_create_plan(
            PlanParams(
                name=opts["name"] or None,
                k=opts["k"],
                method=opts["method"],
                tolerance=opts["tolerance"],
                weights=weights,
                auxiliaries=opts["auxiliaries"],
            ),
            None,
        )
        plan = do_preview_plan(plan.pk)
        if opts["adopt"]:
            plan = do_adopt_plan(plan.pk)
        d = plan_detail(plan)
        r = d["report"]
        self.stdout.write(
            f"plan {plan.pk} ({plan.state}): {r['method']} {r['status']}, max deviation {r['max_deviation_pct']:.2f} %, "
            f"mean compactness {r['mean_compactness']:.3f}, contiguous {r['contiguous']}, gap {r['gap']}, {r['runtime_s']} s"
        )
        for g in d["grids"]:
            self.stdout.write(
                f"  {g['number']:>3} {g['code']:<24} units {g['units']:>4}  workload {g['workload']:.4f}  "
                f"dev {g['deviation_pct']:+6.2f} %  compact {g['compactness']:.3f}  aux {g['staffing']['auxiliaries']}"
            )
        c = d["comparison"] or {}
        self.stdout.write(
            f"  {c.get('moved_count', 0)} units change grid; open appeals changing grid: "
            f"{c.get('appeals_changing_count', 0)}; buildings: {c.get('buildings_changing_count', 0)}"
        )

    def _service_areas(self, opts) -> None:
        r = service_area_report(speed_kmh=opts["speed"], target_min=opts["target"], limit=20)
        self.stdout.write(
            f"{r['all_intersections']} intersections: {r['covered_intersections']} ({r['covered_pct']} %) "
            f"within {r['target_min']} min at {r['speed_kmh']} km/h, {r['beyond_target_count']} beyond, "
            f"{r['unreachable_intersections']} unreachable; worst {r['max_time_min']} min"
        )
        for p in r["platforms"]:
            self.stdout.write(
                f"  {p['code']:<20} {p['intersections']:>5} intersections  workload {p['workload']}"
            )
