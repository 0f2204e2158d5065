"""Models of the stats app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# ---------------------------------------------------------------------------------------------
# Accident statistics (issue 12 §3): daily weather observations joined to accidents by date.
# (Accidents themselves are planning.AccidentRecord, extended there — one accident table.)
# ---------------------------------------------------------------------------------------------


class WeatherObservation(models.Model):
    """One station's weather of one day, imported from an observations CSV."""

    station = models.CharField(_("station"), max_length=60)
    date = models.DateField(_("date"))
    precipitation_mm = models.FloatField(_("precipitation (mm)"), null=True, blank=True)
    condition = models.CharField(_("condition"), max_length=40, blank=True)

    class Meta:
        db_table = "stats_weatherobservation"
        ordering = ["date", "station"]
        verbose_name = _("weather observation")
        verbose_name_plural = _("weather observations")
        constraints = [models.UniqueConstraint(fields=["station", "date"], name="unique_weather_station_day")]

    def __str__(self) -> str:
        return f"{self.station} {self.date} {self.condition}"
