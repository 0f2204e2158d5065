"""`lastmeter stats …` — accident and weather imports for the statistics.

  import-accidents FILE --format barcelona|generic [--source NAME] [--tz ZONE]
  accidents-from-incidents   accident records from incidents of accident appeals
  import-weather FILE        daily observations (station, date, precipitation, condition)

Bad input ends with a message and exit code 2.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lastmeter.lib.errors import ServiceError
from lastmeter.stats.accidents import FORMATS, do_import_accidents, do_import_accidents_from_incidents
from lastmeter.stats.weather import do_import_weather

ACTIONS = ("import-accidents", "accidents-from-incidents", "import-weather")


class Command(BaseCommand):
    help = "Statistics data: " + ", ".join(ACTIONS)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=ACTIONS)
        parser.add_argument("file", nargs="?")
        parser.add_argument("--format", dest="fmt", choices=FORMATS, default="generic")
        parser.add_argument("--source", default="", help="source name for a generic file")
        parser.add_argument("--tz", default="Europe/Madrid", help="time zone of naive times in the file")

    def handle(self, *args: object, **opts: object) -> None:
        action = str(opts["action"])
        try:
            if action == "accidents-from-incidents":
                r = do_import_accidents_from_incidents()
                self.stdout.write(f"{r.created} accident records created from incidents")
                return
            if not opts["file"]:
                raise CommandError(f"{action} needs a FILE", returncode=2)
            path = Path(str(opts["file"]))
            if not path.is_file():
                raise CommandError(f"no such file: {path}", returncode=2)
            if action == "import-weather":
                w = do_import_weather(path)
                self.stdout.write(f"{w.read} rows read, {w.saved} days saved, {w.skipped} skipped")
            else:
                r = do_import_accidents(
                    path, fmt=str(opts["fmt"]), source=str(opts["source"]), tz=str(opts["tz"])
                )
                self.stdout.write(f"{r.read} rows read, {r.created} created, {r.skipped} skipped")
        except ServiceError as exc:
            raise CommandError(str(exc), returncode=2) from exc
