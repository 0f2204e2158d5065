"""Accident statistics: import (Barcelona open data, a generic CSV, incidents of accident appeals),
breakdowns and black spots.

Accidents are ``planning.AccidentRecord`` rows (one table: planning counts them into unit workload,
stats slices them); this module adds the details the statistics need. Imports are keyed by
(source, external id): importing a file twice does not double anything.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lastmeter.appeals.models import Appeal
from lastmeter.dispatching.models import Incident
from lastmeter.lib.errors import ServiceError
from lastmeter.lib.importfiles import read_import_text
from lastmeter.planning.models import AccidentRecord
from lastmeter.planning.unit_services import accident_category_q
from lastmeter.stats.algorithms.gistar import HOT, gi_star
from lastmeter.stats.models import WeatherObservation

FORMATS = ("barcelona", "generic")
MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        1,
    )
}
# Meteorological seasons of the northern hemisphere.
SEASON_OF_MONTH = {
    12: "winter",
    1: "winter",
    2: "winter",
    3: "spring",
    4: "spring",
    5: "spring",
    6: "summer",
    7: "summer",
    8: "summer",
    9: "autumn",
    10: "autumn",
    11: "autumn",
}
DIMENSIONS = ("season", "month", "weekday", "hour", "district", "street", "weather")
UNKNOWN = "unknown"


class AccidentImportError(ServiceError):
    """The file cannot be read as accidents (no header, no coordinates, a bad value)."""


@dataclass
class ImportResult:
    read: int
    created: int
    skipped: int


def _int(value: str | None) -> int:
    try:
        return max(0, int(float((value or "0").strip() or 0)))
    except ValueError:
        return 0


def _barcelona_row(row: dict[str, str], n: int, year: int, tz: ZoneInfo) -> AccidentRecord | None:
    try:
        lat, lon = float(row["Latitude"]), float(row["Longitude"])
    except (KeyError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    ext = (row.get("Id") or "").strip() or f"row{n}"
    when = None
    month = MONTHS.get((row.get("Month") or "").strip().lower())
    try:
        y = int(ext[:4]) if ext[:4].isdigit() else year
        if month:
            when = datetime(y, month, int(row["Day"]), int(row["Hour"]), tzinfo=tz)
    except (KeyError, ValueError):
        when = None
    clean = {k: (v or "").strip() for k, v in row.items() if k}
    return AccidentRecord(
        source="barcelona",
        external_id=ext[:100],
        lat=lat,
        lon=lon,
        occurred_at=when,
        street=clean.get("Street", "")[:200],
        district="" if clean.get("DistrictName") == "Unknown" else clean.get("DistrictName", "")[:120],
        neighbourhood=""
        if clean.get("NeighborhoodName") == "Unknown"
        else clean.get("NeighborhoodName", "")[:120],
        injured_mild=_int(clean.get("Mild injuries")),
        injured_serious=_int(clean.get("Serious injuries")),
        victims=_int(clean.get("Victims")),
        vehicles=_int(clean.get("Vehiclesinvolved")),
    )


GENERIC_COLUMNS = ("id", "lat", "lon", "occurred_at")  # required; the rest optional:
GENERIC_OPTIONAL = (
    "type",
    "street",
    "district",
    "injured_mild",
    "injured_serious",
    "deaths",
    "vehicles",
    "weather",
    "road_surface",
)


def _generic_row(row: dict[str, str], n: int, source: str, tz: ZoneInfo) -> AccidentRecord:
    try:
        lat, lon = float(row["lat"]), float(row["lon"])
        when = datetime.fromisoformat(row["occurred_at"].strip())
    except (KeyError, ValueError) as exc:
        raise AccidentImportError(_("line %(n)d: %(error)s") % {"n": n, "error": exc}) from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise AccidentImportError(_("line %(n)d: coordinates out of range") % {"n": n})
    if timezone.is_naive(when):
        when = when.replace(tzinfo=tz)
    g = {k: (row.get(k) or "").strip() for k in GENERIC_OPTIONAL}
    mild, serious, deaths = _int(g["injured_mild"]), _int(g["injured_serious"]), _int(g["deaths"])
    return AccidentRecord(
        source=source,
        external_id=(row["id"].strip() or f"row{n}")[:100],
        lat=lat,
        lon=lon,
        occurred_at=when,
        accident_type=g["type"][:80],
        street=g["street"][:200],
        district=g["district"][:120],
        injured_mild=mild,
        injured_serious=serious,
        deaths=deaths,
        victims=mild + serious + deaths,
        vehicles=_int(g["vehicles"]),
        weather=g["weather"][:40].lower(),
        road_surface=g["road_surface"][:40].lower(),
    )


def do_import_accidents(
    text: str | Path, *, fmt: str, source: str = "", year: int = 2017, tz: str = "Europe/Madrid"
) -> ImportResult:
    """Import accidents from CSV text. ``barcelona``: the Guàrdia Urbana open-data file (rows without
    coordinates are skipped, as the open data has some). ``generic``: columns id, lat, lon,
    occurred_at (ISO 8601; naive times are in ``tz``) and optionally type, street, district,
    injured_mild, injured_serious, deaths, vehicles, weather, road_surface; a bad row stops the import."""
    if fmt not in FORMATS:
        raise AccidentImportError(
            _("unknown format %(fmt)s; use one of %(all)s") % {"fmt": fmt, "all": ", ".join(FORMATS)}
        )
    if isinstance(text, Path):
        text = read_import_text(text)  # size, type and UTF-8 checked before a row is read
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    zone = ZoneInfo(tz)
    records: dict[str, AccidentRecord] = {}
    read = skipped = 0
    if fmt == "barcelona":
        if "Latitude" not in header or "Longitude" not in header:
            raise AccidentImportError(_("not a Barcelona accidents file: no Latitude/Longitude columns"))
        for n, row in enumerate(reader, start=2):
            read += 1
            rec = _barcelona_row(row, n, year, zone)
            if rec is None:
                skipped += 1
            else:
                records[rec.external_id] = rec
    else:
        missing = [c for c in GENERIC_COLUMNS if c not in header]
        if missing:
            raise AccidentImportError(_("missing columns: %(cols)s") % {"cols": ", ".join(missing)})
        for n, row in enumerate(reader, start=2):
            read += 1
            rec = _generic_row(row, n, source or "generic", zone)
            records[rec.external_id] = rec
    src = "barcelona" if fmt == "barcelona" else (source or "generic")
    with transaction.atomic():
        known = set(
            AccidentRecord.objects.filter(source=src, external_id__in=list(records)).values_list(
                "external_id", flat=True
            )
        )
        fresh = [r for k, r in records.items() if k not in known]
        AccidentRecord.objects.bulk_create(fresh, batch_size=2000)
    return ImportResult(read, len(fresh), skipped)


def do_import_accidents_from_incidents() -> ImportResult:
    """Make an accident record (source ``incident``) for every incident raised from an appeal in an
    accident category that has none yet; the incident keeps the link."""
    incidents = (
        Incident.objects.filter(appeal__isnull=False, accident_record__isnull=True)
        .filter(appeal__in=Appeal.objects.filter(accident_category_q()))
        .select_related("appeal__category")
    )
    fresh = []
    for inc in incidents:
        category = inc.appeal.category if inc.appeal else None
        fresh.append(
            AccidentRecord(
                source="incident",
                external_id=inc.reference or f"incident-{inc.pk}",
                lat=inc.lat,
                lon=inc.lon,
                occurred_at=inc.alarm_at,
                street=inc.address[:200],
                incident=inc,
                accident_type=(category.name if category else "")[:80],
            )
        )
    with transaction.atomic():
        AccidentRecord.objects.bulk_create(fresh, ignore_conflicts=True)
    return ImportResult(len(fresh), len(fresh), 0)


def weather_by_day(station: str | None = None) -> dict[date, str]:
    """Date → condition from the imported observations (one station, or the first station of each day)."""
    qs = WeatherObservation.objects.order_by("date", "station")
    if station:
        qs = qs.filter(station=station)
    out: dict[date, str] = {}
    for day, cond in qs.values_list("date", "condition"):
        out.setdefault(day, cond or UNKNOWN)
    return out


def _records(start: datetime | None, end: datetime | None, source: str | None) -> QuerySet[AccidentRecord]:
    qs = AccidentRecord.objects.all()
    if start:
        qs = qs.filter(occurred_at__gte=start)
    if end:
        qs = qs.filter(occurred_at__lt=end)
    if source:
        qs = qs.filter(source=source)
    return qs.only("occurred_at", "district", "street", "weather", "victims", "injured_serious", "deaths")


def breakdown(
    dimension: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    source: str | None = None,
    station: str | None = None,
    tz: str | None = None,
) -> list[tuple[str, int, int]]:
    """(value, accidents, victims) per value of one dimension, most accidents first (calendar order for
    month/weekday/hour/season). ``weather``: the record's own weather, else the day's observed condition."""
    if dimension not in DIMENSIONS:
        raise AccidentImportError(_("unknown breakdown %(d)s") % {"d": dimension})
    zone = ZoneInfo(tz) if tz else timezone.get_current_timezone()
    weather = weather_by_day(station) if dimension == "weather" else {}
    counts: Counter[str] = Counter()
    victims: Counter[str] = Counter()
    for r in _records(start, end, source):
        local = r.occurred_at.astimezone(zone) if r.occurred_at else None
        if dimension == "street":
            key = r.street or UNKNOWN
        elif dimension == "district":
            key = r.district or UNKNOWN
        elif dimension == "weather":
            key = r.weather or (weather.get(local.date(), UNKNOWN) if local else UNKNOWN)
        elif local is None:
            key = UNKNOWN
        elif dimension == "season":
            key = SEASON_OF_MONTH[local.month]
        elif dimension == "month":
            key = f"{local.month:02d}"
        elif dimension == "weekday":
            key = str(local.isoweekday())  # 1 = Monday
        else:
            key = f"{local.hour:02d}"
        counts[key] += 1
        victims[key] += r.victims
    if dimension in ("month", "weekday", "hour", "season"):
        order = ["winter", "spring", "summer", "autumn"] if dimension == "season" else sorted(counts)
        return [(k, counts[k], victims[k]) for k in order if k in counts] + (
            [(UNKNOWN, counts[UNKNOWN], victims[UNKNOWN])]
            if UNKNOWN in counts and UNKNOWN not in order
            else []
        )
    return [(k, n, victims[k]) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


@dataclass
class BlackSpot:
    label: str  # the street / intersection, or the cell key
    accidents: int
    victims: int
    per_month: float  # accidents per 30 days of the period
    lat: float
    lon: float
    significant: bool = False  # by cell: a Gi* hot cell


def black_spots(
    *,
    start: datetime,
    end: datetime,
    by: str = "street",
    top: int = 10,
    cell_m: float = 250.0,
    source: str | None = None,
    seed: int = 12345,
) -> list[BlackSpot]:
    """The top-N accident black spots of a period, by street/intersection name or by lattice cell,
    with a rate per 30 days. By cell, each spot also says whether Gi* finds it a hot cell."""
    if end <= start:
        raise AccidentImportError(_("the period ends before it starts"))
    months = max((end - start) / timedelta(days=30), 1e-9)
    rows = list(_records(start, end, source).values_list("lat", "lon", "street", "victims"))
    if by == "street":
        groups: dict[str, list[tuple[float, float, int]]] = {}
        for lat, lon, street, v in rows:
            if street:
                groups.setdefault(street, []).append((lat, lon, v))
        spots = [
            BlackSpot(
                name,
                len(g),
                sum(x[2] for x in g),
                len(g) / months,
                sum(x[0] for x in g) / len(g),
                sum(x[1] for x in g) / len(g),
            )
            for name, g in groups.items()
        ]
    elif by == "cell":
        if not rows:
            return []
        res = gi_star([r[0] for r in rows], [r[1] for r in rows], cell_m=cell_m, seed=seed)
        spots = []
        for c in res.cells:
            if c.count:
                lons = [p[0] for p in c.ring[:4]]
                lats = [p[1] for p in c.ring[:4]]
                spots.append(
                    BlackSpot(
                        c.key, c.count, 0, c.count / months, sum(lats) / 4, sum(lons) / 4, c.kind == HOT
                    )
                )
    else:
        raise AccidentImportError(_("black spots are by street or by cell, not %(by)s") % {"by": by})
    spots.sort(key=lambda s: (-s.accidents, -s.victims, s.label))
    return spots[:top]
