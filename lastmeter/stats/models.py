"""The rollup of appeals per local day, and the refresh watermark.

``AppealDay`` holds, for the appeals *received* on one local day (Asia/Shanghai) in one
grid × category × channel × assignee, the counts and sums every count/rate measure of
``stats.measures`` needs. It is a cache of the raw rows: ``stats.rollups`` rebuilds whole days,
and a test proves the incremental refresh equals a rebuild from scratch. Three tables are
rebuilt with it: ``AppealDayArea`` (the same sums folded over channel and assignee, plus
receipts per local hour: what dashboards read), ``AppealTime`` (per appeal, the durations whose
medians and p90s are reported: percentiles cannot be summed, so they are computed from this
narrow table) and ``TransferSpan`` (per transfer, for the department figures).

``WeatherObservation`` holds imported daily weather, joined to accidents by date (accidents
themselves are ``planning.AccidentRecord``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# The clock kinds whose on-time rate is rolled up, and the column prefix of each.
CLOCK_COLUMNS: dict[str, str] = {
    "contact": "contact",
    "land": "land",
    "transfer_accept": "accept",
    "transfer_outcome": "outcome",
    "complaint_reply": "complaint",
}


class RollupSums(models.Model):
    """The summed columns of a rollup row (what every count/rate measure needs), shared by the
    daily rollup and its fold over channel and assignee."""

    received = models.PositiveIntegerField(default=0)
    # Appeals whose contact (land) clocks were all met on time, and appeals with any decided one.
    contact_ontime = models.PositiveIntegerField(default=0)
    contact_decided = models.PositiveIntegerField(default=0)
    land_ontime = models.PositiveIntegerField(default=0)
    land_decided = models.PositiveIntegerField(default=0)
    # Clocks met on time / breached (breached, or met late) per kind.
    contact_met = models.PositiveIntegerField(default=0)
    contact_breached = models.PositiveIntegerField(default=0)
    land_met = models.PositiveIntegerField(default=0)
    land_breached = models.PositiveIntegerField(default=0)
    accept_met = models.PositiveIntegerField(default=0)
    accept_breached = models.PositiveIntegerField(default=0)
    outcome_met = models.PositiveIntegerField(default=0)
    outcome_breached = models.PositiveIntegerField(default=0)
    complaint_met = models.PositiveIntegerField(default=0)
    complaint_breached = models.PositiveIntegerField(default=0)
    escalations = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)  # appeals resolved at least once
    resolutions = models.PositiveIntegerField(default=0)  # times resolved (a reopened one counts again)
    reopened = models.PositiveIntegerField(default=0)  # appeals reopened at least once
    merged = models.PositiveIntegerField(default=0)
    transferred = models.PositiveIntegerField(default=0)  # appeals with at least one transfer
    transfers = models.PositiveIntegerField(default=0)
    transfers_returned = models.PositiveIntegerField(default=0)
    ratings = models.PositiveIntegerField(default=0)
    score_sum = models.PositiveIntegerField(default=0)
    score_ge4 = models.PositiveIntegerField(default=0)
    contests = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class AppealDay(RollupSums):
    day = models.DateField(db_index=True)
    grid_id = models.IntegerField(null=True)
    community_id = models.IntegerField(null=True)
    category_id = models.IntegerField(null=True)
    channel = models.CharField(max_length=20)
    assignee_id = models.IntegerField(null=True)

    class Meta:
        verbose_name = _("appeal day (rollup)")
        verbose_name_plural = _("appeal days (rollup)")
        indexes = [
            models.Index(fields=["grid_id", "day"]),
            models.Index(fields=["community_id", "day"]),
        ]

    def __str__(self) -> str:
        return f"{self.day} grid={self.grid_id} cat={self.category_id} {self.channel}: {self.received}"


class AppealTime(models.Model):
    """One appeal's hours from receipt to its first contact, first landing and first resolution
    (None until reached), with the appeal's receipt day and slice keys as in ``AppealDay``.

    Medians and p90 cannot be summed, so they are not in ``AppealDay``; reading them from the
    events of every appeal of a year costs seconds on a million appeals, this narrow table tens of
    milliseconds. Kept by ``stats.rollups`` with the day rollup (whole days, same watermark); a
    test proves it equals a recomputation from the events."""

    appeal_id = models.IntegerField(primary_key=True)  # no foreign key: a cache rebuilt by day
    day = models.DateField(db_index=True)
    grid_id = models.IntegerField(null=True)
    community_id = models.IntegerField(null=True)
    category_id = models.IntegerField(null=True)
    channel = models.CharField(max_length=20)
    assignee_id = models.IntegerField(null=True)
    contact_h = models.FloatField(null=True)
    land_h = models.FloatField(null=True)
    resolve_h = models.FloatField(null=True)

    class Meta:
        verbose_name = _("appeal times (rollup)")
        verbose_name_plural = _("appeal times (rollup)")
        indexes = [
            models.Index(fields=["grid_id", "day"], name="appealtime_grid_day"),
            models.Index(fields=["community_id", "day"], name="appealtime_community_day"),
        ]

    def __str__(self) -> str:
        return f"appeal {self.appeal_id} {self.day}: {self.contact_h} / {self.land_h} / {self.resolve_h} h"


# The summed columns, in model order (everything but the key).
KEY_FIELDS = ("day", "grid_id", "community_id", "category_id", "channel", "assignee_id")
SUM_FIELDS = tuple(
    f.name for f in AppealDay._meta.local_fields if f.name not in KEY_FIELDS and f.name != "id"
)


HOUR_FIELDS = tuple(f"h{hour:02d}" for hour in range(24))
AREA_KEY_FIELDS = ("day", "grid_id", "community_id", "category_id")


class AppealDayArea(RollupSums):
    """``AppealDay`` folded over channel and assignee, plus the appeals received in each local
    hour (``h00`` … ``h23``). A year of the whole jurisdiction is some 35,000 rows here against
    220,000 in ``AppealDay`` on a million appeals: figures without a channel or officer filter
    (every dashboard's) read this one. Rebuilt with ``AppealDay``, day by day."""

    day = models.DateField(db_index=True)
    grid_id = models.IntegerField(null=True)
    community_id = models.IntegerField(null=True)
    category_id = models.IntegerField(null=True)

    class Meta:
        verbose_name = _("appeal day by area (rollup)")
        verbose_name_plural = _("appeal days by area (rollup)")
        indexes = [
            models.Index(fields=["grid_id", "day"]),
            models.Index(fields=["community_id", "day"]),
        ]

    def __str__(self) -> str:
        return f"{self.day} grid={self.grid_id} cat={self.category_id}: {self.received}"


for _hour in HOUR_FIELDS:  # 24 counters; written out they would hide the model's shape
    AppealDayArea.add_to_class(_hour, models.PositiveIntegerField(default=0))


class AppealMonthArea(RollupSums):
    """``AppealDayArea`` folded by calendar month (without the hours: weekday × hour needs the
    days). A year of a million appeals is 1,150 rows here against 32,100 days; a long range reads
    its whole months here and its part months' days from ``AppealDayArea`` (``stats.month_fold``).
    Refolded from ``AppealDayArea`` whenever a day of the month is rebuilt."""

    month = models.DateField(db_index=True)  # the first day of the month
    grid_id = models.IntegerField(null=True)
    community_id = models.IntegerField(null=True)
    category_id = models.IntegerField(null=True)

    class Meta:
        verbose_name = _("appeal month by area (rollup)")
        verbose_name_plural = _("appeal months by area (rollup)")
        indexes = [
            models.Index(fields=["grid_id", "month"]),
            models.Index(fields=["community_id", "month"]),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} grid={self.grid_id} cat={self.category_id}: {self.received}"


class AppealWeekArea(RollupSums):
    """``AppealDayArea`` folded by ISO week (Monday to Sunday; without the hours). A year-long
    range's trend is weekly (``dashboard_parts.auto_period``): it reads its whole weeks here,
    some 5,000 rows a year of a million appeals against 32,000 days, and the days of its part
    weeks at either end from ``AppealDayArea`` (``stats.month_fold``). Refolded with
    ``AppealMonthArea``: every week that meets a month being rebuilt."""

    week = models.DateField(db_index=True)  # the Monday
    grid_id = models.IntegerField(null=True)
    community_id = models.IntegerField(null=True)
    category_id = models.IntegerField(null=True)

    class Meta:
        verbose_name = _("appeal week by area (rollup)")
        verbose_name_plural = _("appeal weeks by area (rollup)")
        indexes = [
            models.Index(fields=["grid_id", "week"]),
            models.Index(fields=["community_id", "week"]),
        ]

    def __str__(self) -> str:
        return f"week of {self.week} grid={self.grid_id} cat={self.category_id}: {self.received}"


class AppealMonthOfficer(RollupSums):
    """``AppealDay`` folded by calendar month over category and channel, keeping the officer:
    a grid dashboard's table of officers over a year summed some 40,000 day rows of its grid
    (``AppealDayArea`` has no officer); here it is a few dozen. Read like ``AppealMonthArea``
    (whole months here, the part months' days from ``AppealDay``: ``stats.month_fold``) and
    refolded with it whenever a day of the month is rebuilt."""

    month = models.DateField(db_index=True)  # the first day of the month
    grid_id = models.IntegerField(null=True)
    community_id = models.IntegerField(null=True)
    assignee_id = models.IntegerField(null=True)

    class Meta:
        verbose_name = _("appeal month by officer (rollup)")
        verbose_name_plural = _("appeal months by officer (rollup)")
        indexes = [
            models.Index(fields=["grid_id", "month"]),
            models.Index(fields=["community_id", "month"]),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} grid={self.grid_id} officer={self.assignee_id}: {self.received}"


class TransferSpan(models.Model):
    """One row per transfer: its local day, department, the appeal's grid and category, whether
    it was returned, the acceptance and outcome durations (seconds, when accepted/completed)
    and its department clocks' outcomes. ``measures.transfer_table`` reads it with no join;
    rows are rebuilt with the rollup by the *appeal's* received day (``appeal_day``), since a
    change to a transfer dirties its appeal's day like any other change."""

    transfer_id = models.IntegerField(unique=True)
    appeal_day = models.DateField(db_index=True)
    day = models.DateField(db_index=True)
    department_id = models.IntegerField()
    grid_id = models.IntegerField(null=True)
    community_id = models.IntegerField(null=True)
    category_id = models.IntegerField(null=True)
    returned = models.BooleanField(default=False)
    accept_s = models.FloatField(null=True)
    outcome_s = models.FloatField(null=True)
    accept_met = models.PositiveSmallIntegerField(default=0)
    accept_late = models.PositiveSmallIntegerField(default=0)
    outcome_met = models.PositiveSmallIntegerField(default=0)
    outcome_late = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("transfer span (rollup)")
        verbose_name_plural = _("transfer spans (rollup)")
        indexes = [
            models.Index(fields=["department_id", "day"]),
            models.Index(fields=["grid_id", "day"]),
        ]

    def __str__(self) -> str:
        return f"transfer {self.transfer_id} ({self.day})"


# The counters of ``TransferSpan`` that add up (``TransferMonth`` holds their monthly sums).
TRANSFER_SUM_FIELDS = ("accept_met", "accept_late", "outcome_met", "outcome_late")


class TransferMonth(models.Model):
    """``TransferSpan`` counted by calendar month of the transfer's day, department and the
    appeal's area: a long range's transfer counts read its whole months here and its part
    months from the spans (``stats.month_fold``). Refolded with the rollup's months."""

    month = models.DateField(db_index=True)  # the first day of the month
    department_id = models.IntegerField()
    grid_id = models.IntegerField(null=True)
    community_id = models.IntegerField(null=True)
    category_id = models.IntegerField(null=True)
    transfers = models.PositiveIntegerField(default=0)
    returned = models.PositiveIntegerField(default=0)
    accept_met = models.PositiveIntegerField(default=0)
    accept_late = models.PositiveIntegerField(default=0)
    outcome_met = models.PositiveIntegerField(default=0)
    outcome_late = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("transfer month (rollup)")
        verbose_name_plural = _("transfer months (rollup)")
        indexes = [models.Index(fields=["department_id", "month"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} department={self.department_id}: {self.transfers}"


class TimeBin(models.Model):
    """How many durations of one kind fell in each bin of the log scale of
    ``stats.algorithms.histogram``, per calendar month: the percentiles of long ranges read these
    counters instead of sorting every appeal's or transfer's duration (docs/MEASURES.md).

    ``series`` is an appeal step (contact, land, resolve: from ``AppealTime``, by the appeal's
    receipt month) or a department step (accept, outcome: from ``TransferSpan``, by the
    transfer's month). Appeal rows come twice: the jurisdiction's fold (``whole``; no area keys)
    and per grid and officer; transfer rows are per department and category of the appeal. Rebuilt month by
    month with the day rollup; a test proves they equal a recount from the rows they fold."""

    series = models.CharField(_("series"), max_length=10)
    month = models.DateField(_("month"))
    whole = models.BooleanField(_("whole jurisdiction"), default=False)
    grid_id = models.IntegerField(_("grid"), null=True)
    community_id = models.IntegerField(_("community"), null=True)
    assignee_id = models.IntegerField(_("officer"), null=True)
    department_id = models.IntegerField(_("department"), null=True)
    category_id = models.IntegerField(_("category"), null=True)
    bin = models.SmallIntegerField(_("bin"))
    n = models.IntegerField(_("count"))

    class Meta:
        verbose_name = _("duration histogram (rollup)")
        verbose_name_plural = _("duration histograms (rollup)")
        indexes = [
            models.Index(fields=["series", "whole", "month"], name="timebin_series_month"),
            # Covering: a grid's or community's year is read from the index alone (PostgreSQL).
            models.Index(
                fields=["grid_id", "month"],
                include=["series", "whole", "assignee_id", "bin", "n"],
                name="timebin_grid_month_cover",
            ),
            models.Index(fields=["department_id", "month"], name="timebin_department_month"),
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.month:%Y-%m} bin {self.bin}: {self.n}"


class TimeBinFold(models.Model):
    """``TimeBin`` summed over what no dashboard breaks its times down by: the appeal histograms
    per grid (over the officers; ``department_id`` empty) and the transfer histograms per
    department (over the categories; no area), with the jurisdiction's appeal histograms. A community's or grid's year of appeal times read
    some 50,000 rows per officer and bin in ``TimeBin``, a few thousand here; the jurisdiction's
    departments some 42,000 rows per category and bin, some 8,000 here (docs/MEASURES.md).
    Refolded from ``TimeBin`` with its months; a test holds it equal to the fold of a recount."""

    series = models.CharField(_("series"), max_length=10)
    month = models.DateField(_("month"))
    # The jurisdiction's appeal histograms, copied from TimeBin: there they lie among a month's
    # area rows (a year's read visited ~1,600 pages), here together (~150).
    whole = models.BooleanField(_("whole jurisdiction"), default=False)
    grid_id = models.IntegerField(_("grid"), null=True)
    community_id = models.IntegerField(_("community"), null=True)
    department_id = models.IntegerField(_("department"), null=True)
    bin = models.SmallIntegerField(_("bin"))
    n = models.IntegerField(_("count"))

    class Meta:
        verbose_name = _("folded duration histogram (rollup)")
        verbose_name_plural = _("folded duration histograms (rollup)")
        indexes = [
            models.Index(fields=["grid_id", "month"], name="timebinfold_grid_month"),
            models.Index(fields=["community_id", "month"], name="timebinfold_community_month"),
            models.Index(fields=["series", "whole", "month"], name="timebinfold_series_month"),
            models.Index(fields=["department_id", "month"], name="timebinfold_department_month"),
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.month:%Y-%m} bin {self.bin}: {self.n}"


class TimeBinDay(models.Model):
    """The jurisdiction's appeal histograms (``TimeBin`` with ``whole``) per local day: a long
    range's part months at either end are summed from these few hundred rows a day instead of
    binning every appeal of those days (docs/MEASURES.md). Rebuilt with the months of ``TimeBin``."""

    series = models.CharField(_("series"), max_length=10)
    day = models.DateField(_("day"))
    bin = models.SmallIntegerField(_("bin"))
    n = models.IntegerField(_("count"))

    class Meta:
        verbose_name = _("daily duration histogram (rollup)")
        verbose_name_plural = _("daily duration histograms (rollup)")
        indexes = [models.Index(fields=["day", "series"], name="timebinday_day_series")]

    def __str__(self) -> str:
        return f"{self.series} {self.day:%Y-%m-%d} bin {self.bin}: {self.n}"


class RollupState(models.Model):
    """One row per rollup: the time up to which changes of the raw rows have been folded in."""

    name = models.CharField(max_length=40, unique=True)
    watermark = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("rollup watermark")
        verbose_name_plural = _("rollup watermarks")


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
