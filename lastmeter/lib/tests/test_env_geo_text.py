import pytest
from django.core.exceptions import ImproperlyConfigured

from lastmeter.lib.env import database_from_url, env_bool, env_int
from lastmeter.lib.geo import haversine_m, validate_lat_lon
from lastmeter.lib.text import mask_name, mask_phone


def test_it_reads_typed_environment_values_loudly(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "12")
    assert env_bool("X_BOOL") is True and env_int("X_INT", 0) == 12
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_BOOL"):
        env_bool("X_BOOL")
    monkeypatch.setenv("X_INT", "twelve")
    with pytest.raises(ImproperlyConfigured, match="X_INT"):
        env_int("X_INT", 0)


def test_it_parses_database_urls():
    db = database_from_url("postgres://me:s%40cret@127.0.0.1:5432/lastmeter")
    assert db["NAME"] == "lastmeter" and db["PASSWORD"] == "s@cret" and db["PORT"] == "5432"
    with pytest.raises(ImproperlyConfigured):
        database_from_url("mysql://x/y")


def test_it_measures_and_validates_coordinates():
    # One degree of latitude is about 111.2 km.
    assert haversine_m(31.0, 121.0, 32.0, 121.0) == pytest.approx(111_195, rel=1e-3)
    with pytest.raises(ValueError):
        validate_lat_lon(91, 0)
    with pytest.raises(ValueError):
        validate_lat_lon(float("nan"), 0)


def test_it_masks_personal_data():
    assert mask_phone("13912345678") == "139****5678"
    assert mask_name("刘女士") == "刘**"
    assert mask_phone("") == ""
