"""The import commands refuse oversize, wrong-type and non-UTF-8 files with a message and exit
code 2, before a row is written; a bad row in the middle leaves nothing of the file behind."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lastmeter.planning.models import AccidentRecord, Platform
from lastmeter.stats.models import WeatherObservation

DATA = Path(__file__).parent / "data"
WEATHER = DATA / "weather_invented.csv"
BCN = DATA / "barcelona_accidents_2017_sample.csv"

pytestmark = pytest.mark.django_db


def refused(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        call_command(*args)
    assert caught.value.returncode == 2
    return str(caught.value)


def test_an_import_over_the_size_limit_is_refused_before_a_row_is_read(settings, tmp_path):
    settings.LASTMETER_MAX_IMPORT_BYTES = 200
    assert WEATHER.stat().st_size > 200
    assert "over the import limit" in refused("stats", "import-weather", str(WEATHER))
    assert "over the import limit" in refused("stats", "import-accidents", str(BCN), "--format", "barcelona")
    assert "over the import limit" in refused("grids", "import-accidents", str(BCN))
    assert not WeatherObservation.objects.exists() and not AccidentRecord.objects.exists()


def test_a_gzip_bomb_workbook_or_gbk_file_is_refused_with_what_to_do(tmp_path, settings):
    settings.LASTMETER_MAX_IMPORT_BYTES = 1024 * 1024
    bomb = tmp_path / "weather.csv.gz"
    bomb.write_bytes(gzip.compress(WEATHER.read_bytes() + b"BCN-TEST,2017-02-01,0,clear\n" * 200_000))
    assert "unpacks to more than" in refused("stats", "import-weather", str(bomb))
    xlsx = tmp_path / "accidents.csv"
    xlsx.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    assert "save the sheet as" in refused("stats", "import-accidents", str(xlsx), "--format", "barcelona")
    gbk = tmp_path / "weather_gbk.csv"
    gbk.write_bytes("station,date,precipitation,condition\n徐家汇,2017-01-09,0,晴\n".encode("gbk"))
    assert "not UTF-8 text" in refused("stats", "import-weather", str(gbk))
    assert not WeatherObservation.objects.exists() and not AccidentRecord.objects.exists()


def test_a_gzipped_import_is_read_like_the_plain_file(tmp_path):
    packed = tmp_path / "weather.csv.gz"
    packed.write_bytes(gzip.compress(WEATHER.read_bytes()))
    call_command("stats", "import-weather", str(packed))
    assert WeatherObservation.objects.count() == 4


def test_a_bad_platform_row_leaves_none_of_the_file_saved(tmp_path, world):
    csv = tmp_path / "platforms.csv"
    csv.write_text(
        "code,name,lat,lon\nP01,人民广场平台,31.2304,121.4737\nP02,福州路平台,31.2340,121.4800\nP03,坏行,north,121.48\n",
        encoding="utf-8",
    )
    assert "bad platform row" in refused("grids", "import-platforms", str(csv))
    assert not Platform.objects.filter(code__in=["P01", "P02", "P03"]).exists()
