"""Daily weather observations from a CSV (station, date, precipitation, condition), joined to accidents
by date in ``stats.accidents.breakdown``.

Columns are found by name, case-insensitive: station; date (ISO ``YYYY-MM-DD``); precipitation
(``precipitation``, ``precipitation_mm``, ``prcp``, in mm); condition (``condition``, ``weather``).
Lines starting with ``#`` are comments. A row with a bad date or a negative precipitation is skipped
and counted; re-importing a station's day replaces it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from lastmeter.lib.errors import ServiceError
from lastmeter.lib.importfiles import read_import_text
from lastmeter.stats.models import WeatherObservation

_PRECIP = ("precipitation", "precipitation_mm", "prcp")
_COND = ("condition", "weather")


class WeatherImportError(ServiceError):
    """The file is not a weather observations CSV."""


@dataclass
class WeatherImport:
    read: int
    saved: int
    skipped: int


def _col(header: list[str], names: tuple[str, ...]) -> int | None:
    low = [h.strip().lower() for h in header]
    return next((low.index(n) for n in names if n in low), None)


def do_import_weather(text: str | Path) -> WeatherImport:
    if isinstance(text, Path):
        text = read_import_text(text)  # size, type and UTF-8 checked before a row is read
    lines = [ln for ln in io.StringIO(text.lstrip("\ufeff")) if not ln.lstrip().startswith("#")]
    reader = csv.reader(lines)
    header = next(reader, None) or []
    ist, idate, ip, ic = (
        _col(header, ("station",)),
        _col(header, ("date",)),
        _col(header, _PRECIP),
        _col(header, _COND),
    )
    if ist is None or idate is None or (ip is None and ic is None):
        raise WeatherImportError(
            _("a weather file needs station, date and precipitation or condition columns, not %(h)s")
            % {"h": header}
        )
    rows: dict[tuple[str, date], WeatherObservation] = {}
    read = skipped = 0
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        read += 1
        try:
            station, day = row[ist].strip(), date.fromisoformat(row[idate].strip())
            precip = float(row[ip]) if ip is not None and row[ip].strip() else None
        except (ValueError, IndexError):
            skipped += 1
            continue
        if not station or (precip is not None and precip < 0):
            skipped += 1
            continue
        cond = row[ic].strip().lower()[:40] if ic is not None and ic < len(row) else ""
        rows[(station, day)] = WeatherObservation(
            station=station[:60], date=day, precipitation_mm=precip, condition=cond
        )
    with transaction.atomic():
        for (station, day), obs in rows.items():
            WeatherObservation.objects.update_or_create(
                station=station,
                date=day,
                defaults={"precipitation_mm": obs.precipitation_mm, "condition": obs.condition},
            )
    return WeatherImport(read, len(rows), skipped)
