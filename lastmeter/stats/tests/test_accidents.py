"""Accident statistics: Barcelona and generic import, incidents of accident appeals, breakdowns,
black spots, and the weather join (the weather fixture is invented test data)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command

from lastmeter.appeals.models import Appeal, Category
from lastmeter.dispatching.models import Incident
from lastmeter.planning.models import AccidentRecord
from lastmeter.stats.accidents import (
    AccidentImportError,
    black_spots,
    breakdown,
    do_import_accidents,
    do_import_accidents_from_incidents,
)
from lastmeter.stats.models import WeatherObservation
from lastmeter.stats.weather import WeatherImportError, do_import_weather

DATA = Path(__file__).parent / "data"
BCN = DATA / "barcelona_accidents_2017_sample.csv"
YEAR = (datetime(2017, 1, 1, tzinfo=UTC), datetime(2018, 1, 1, tzinfo=UTC))


@pytest.mark.django_db
def test_it_imports_the_barcelona_sample_once_with_its_details() -> None:
    first = do_import_accidents(BCN, fmt="barcelona")
    with BCN.open(encoding="utf-8") as fh:
        ids = {row["Id"] for row in csv.DictReader(fh)}
    # The open data repeats an Id now and then (one accident, two rows): it is one record.
    assert first.read == 1500 and first.skipped == 0 and first.created == len(ids) == 1499
    again = do_import_accidents(BCN, fmt="barcelona")
    assert again.created == 0
    rec = AccidentRecord.objects.get(source="barcelona", external_id="2017S008429")
    assert (rec.injured_mild, rec.injured_serious, rec.victims, rec.vehicles) == (2, 0, 2, 2)
    assert rec.occurred_at is not None and rec.occurred_at.month == 10 and rec.occurred_at.day == 13
    assert rec.district == ""  # "Unknown" in the file is stored as unknown (blank)


@pytest.mark.django_db
def test_it_breaks_barcelona_accidents_down_by_district_month_weekday_hour_and_season() -> None:
    do_import_accidents(BCN, fmt="barcelona")
    start, end = YEAR
    by_district = breakdown("district", start=start, end=end)
    assert by_district[0][0] == "Eixample"
    total = AccidentRecord.objects.count()
    for dim in ("month", "weekday", "hour", "season", "street"):
        rows = breakdown(dim, start=start, end=end, tz="Europe/Madrid")
        assert sum(n for _, n, _ in rows) == total, dim
    assert [k for k, _, _ in breakdown("season", tz="Europe/Madrid")] == [
        "winter",
        "spring",
        "summer",
        "autumn",
    ]
    assert len(breakdown("month", tz="Europe/Madrid")) == 12
    hours = dict((k, n) for k, n, _ in breakdown("hour", tz="Europe/Madrid"))
    assert hours["04"] < hours["14"]  # fewer accidents at 4 a.m. than at 2 p.m.
    with pytest.raises(AccidentImportError):
        breakdown("colour")


@pytest.mark.django_db
def test_it_ranks_black_spots_by_street_and_by_cell_with_a_rate_per_month() -> None:
    do_import_accidents(BCN, fmt="barcelona")
    start, end = YEAR
    streets = black_spots(start=start, end=end, by="street", top=5)
    assert len(streets) == 5 and streets[0].accidents >= streets[-1].accidents
    assert streets[0].per_month == pytest.approx(streets[0].accidents / (365 / 30))
    cells = black_spots(start=start, end=end, by="cell", top=5, cell_m=500, seed=2017)
    assert all(c.significant for c in cells), "the busiest cells are Gi* hot cells"
    with pytest.raises(AccidentImportError):
        black_spots(start=end, end=start)
    with pytest.raises(AccidentImportError):
        black_spots(start=start, end=end, by="river")


@pytest.mark.django_db
def test_it_imports_a_generic_csv_and_refuses_a_bad_one() -> None:
    text = (
        "id,lat,lon,occurred_at,type,injured_mild,injured_serious,deaths,vehicles,weather,road_surface\n"
        "g1,31.23,121.47,2024-01-10T08:15:00,rear-end,1,1,0,2,Rain,wet\n"
        "g2,31.231,121.471,2024-01-11T18:00:00,pedestrian,0,0,1,1,,\n"
    )
    result = do_import_accidents(text, fmt="generic", source="shanghai", tz="Asia/Shanghai")
    assert result.created == 2
    g1 = AccidentRecord.objects.get(source="shanghai", external_id="g1")
    assert (g1.accident_type, g1.victims, g1.weather, g1.road_surface) == ("rear-end", 2, "rain", "wet")
    with pytest.raises(AccidentImportError):
        do_import_accidents("id,lat\n1,2\n", fmt="generic")
    with pytest.raises(AccidentImportError):
        do_import_accidents("id,lat,lon,occurred_at\nx,31,121,yesterday\n", fmt="generic")
    with pytest.raises(AccidentImportError):
        do_import_accidents(text, fmt="excel")


@pytest.mark.django_db
def test_it_joins_daily_weather_from_the_invented_observations() -> None:
    result = do_import_weather(DATA / "weather_invented.csv")
    assert (result.read, result.saved, result.skipped) == (6, 4, 2)
    assert do_import_weather(DATA / "weather_invented.csv").saved == 4
    assert WeatherObservation.objects.count() == 4
    text = (
        "id,lat,lon,occurred_at\n"
        "w1,41.39,2.16,2017-01-10T09:00:00\nw2,41.39,2.16,2017-01-10T19:00:00\n"
        "w3,41.39,2.16,2017-01-09T09:00:00\nw4,41.39,2.16,2017-02-01T09:00:00\n"
    )
    do_import_accidents(text, fmt="generic", source="bcn-test")
    rows = {k: n for k, n, _ in breakdown("weather", tz="Europe/Madrid", station="BCN-TEST")}
    assert rows == {"rain": 2, "clear": 1, "unknown": 1}
    with pytest.raises(WeatherImportError):
        do_import_weather("when,rain\n2017-01-01,1\n")


@pytest.mark.django_db
def test_it_makes_accident_records_from_incidents_of_accident_appeals(world) -> None:
    acc = Category.objects.create(code="traffic_accident", name="交通事故")
    appeal = Appeal.objects.create(title="两车相撞", category=acc, lat=31.23, lon=121.47)
    other = Appeal.objects.create(title="噪音", category=world.police_category, lat=31.23, lon=121.47)
    Incident.objects.create(title="两车相撞", lat=31.23, lon=121.47, appeal=appeal, address="福州路")
    Incident.objects.create(title="噪音", lat=31.23, lon=121.47, appeal=other)
    assert do_import_accidents_from_incidents().created == 1
    assert do_import_accidents_from_incidents().created == 0
    rec = AccidentRecord.objects.get(source="incident")
    assert rec.accident_type == "交通事故" and rec.street == "福州路" and rec.incident is not None


@pytest.mark.django_db
def test_it_imports_from_the_command_line(capsys) -> None:
    call_command("stats", "import-accidents", str(BCN), "--format", "barcelona")
    assert "created" in capsys.readouterr().out
    call_command("stats", "import-weather", str(DATA / "weather_invented.csv"))
    assert WeatherObservation.objects.count() == 4
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("stats", "import-accidents", "/nonexistent.csv", "--format", "barcelona")
