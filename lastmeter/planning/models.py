"""Grid planning: basic units, plans that divide them into grids, platforms, imported accidents.

These models were born in the grids app; their tables keep the names they had there
(``Meta.db_table = "grids_…"``), so moving them into this app moved no row (see migrations/0001_initial).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from lastmeter.planning.choices import PlanMethod, PlanState, PlatformKind, UnitKind

# Factor fields of a basic unit that count as demand, with the default weights of a new plan.
# police_strength is capacity, not demand (see planning.algorithms.workload): it is stored and shown,
# never weighted.
FACTOR_FIELDS: tuple[str, ...] = ("drivers_or_population", "road_km", "accidents", "difficulty")
DEFAULT_WEIGHTS: dict[str, float] = {
    "drivers_or_population": 0.25,
    "road_km": 0.25,
    "accidents": 0.3,
    "difficulty": 0.2,
}

# Events added per unit before accident/appeal counts are weighed (planning.report.smoothed_counts).
COUNT_PRIOR = 0.5


def default_weights() -> dict[str, float]:
    return dict(DEFAULT_WEIGHTS)


class BasicUnit(models.Model):
    """A basic unit of grid design: a road segment (street stretch) or a block.

    ``geometry`` is GeoJSON (LineString/MultiLineString for a segment, Polygon for a block, lon/lat);
    ``cell`` is the area the unit answers for (its catchment polygon: the points nearer to this
    street than to any other); a grid's boundary is the union of its units' cells. ``neighbours`` is
    the road-topology adjacency (units sharing an intersection), stored both ways. ``workload`` is the
    unit's share of the jurisdiction's demand under the default weights (all units sum to 1); a plan
    recomputes it with its own weights.
    """

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices, default=UnitKind.SEGMENT)
    geometry = models.JSONField(_("geometry (GeoJSON)"))
    cell = models.JSONField(_("catchment cell (GeoJSON)"), null=True, blank=True)
    centroid_lat = models.FloatField(_("centroid latitude"))
    centroid_lon = models.FloatField(_("centroid longitude"))
    area_m2 = models.FloatField(_("area (m²)"), default=0.0)
    drivers_or_population = models.FloatField(_("drivers or population"), default=0.0)
    road_km = models.FloatField(_("road length (km)"), default=0.0)
    accidents = models.FloatField(_("accidents"), default=0.0)
    difficulty = models.FloatField(_("order-maintenance difficulty"), default=0.0)
    police_strength = models.FloatField(_("police strength"), default=0.0)
    workload = models.FloatField(_("workload share"), default=0.0)
    neighbours = models.ManyToManyField("self", symmetrical=True, blank=True, verbose_name=_("neighbours"))
    source = models.CharField(_("built from"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        db_table = "grids_basicunit"
        ordering = ["code"]
        verbose_name = _("basic unit")
        verbose_name_plural = _("basic units")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class GridPlan(models.Model):
    """A proposed division of the basic units into K grids, with its report and staffing.

    draft → previewed (partition run) → adopted (becomes the active grids) or discarded; see
    planning.choices.PLAN_TRANSITIONS. ``revision`` grows with every change of parameters or units, so a
    partition computed outside the lock is only saved if nothing changed meanwhile.
    """

    name = models.CharField(_("name"), max_length=200)
    state = models.CharField(_("state"), max_length=20, choices=PlanState.choices, default=PlanState.DRAFT)
    k = models.PositiveSmallIntegerField(_("number of grids (K)"))
    method = models.CharField(_("method"), max_length=20, choices=PlanMethod.choices, default=PlanMethod.AUTO)
    tolerance = models.FloatField(_("balance tolerance"), default=0.05)
    weights = models.JSONField(_("workload weights"), default=default_weights)
    auxiliaries = models.PositiveIntegerField(_("auxiliaries to apportion (N)"), default=0)
    seed = models.IntegerField(default=0, verbose_name=_("random seed"))
    time_limit_s = models.FloatField(_("time limit (s)"), default=30.0)
    count_prior = models.FloatField(
        _("count smoothing (events per unit)"),
        default=COUNT_PRIOR,
        help_text=_(
            "Accident and appeal counts are shrunk towards road length by this many events per unit."
        ),
    )
    revision = models.PositiveIntegerField(default=0, verbose_name=_("revision"))
    report = models.JSONField(_("report"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    previewed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("previewed at"))
    adopted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("adopted at"))
    adopted_by = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("adopted by"),
    )
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))

    class Meta:
        db_table = "grids_gridplan"
        ordering = ["-created_at", "-id"]
        verbose_name = _("grid plan")
        verbose_name_plural = _("grid plans")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_state_display()})"


class PlanGrid(models.Model):
    """One grid of a previewed plan: its figures, staffing, and who/what it continues.

    ``grid`` is the current Grid it replaces (matched by the largest shared workload), which adoption
    updates in place — code, community and responsible officer carry over; None means a new Grid.
    """

    plan = models.ForeignKey(GridPlan, on_delete=models.CASCADE, related_name="grids")
    index = models.PositiveSmallIntegerField()
    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)
    grid = models.ForeignKey("grids.Grid", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    community = models.ForeignKey(
        "accounts.OrgUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responsible_officer = models.ForeignKey(
        "accounts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    boundary = models.JSONField(default=dict, blank=True)
    units = models.PositiveIntegerField(default=0)
    workload = models.FloatField(default=0.0)
    deviation = models.FloatField(default=0.0)
    compactness = models.FloatField(default=0.0)
    contiguous = models.BooleanField(default=True)
    auxiliaries = models.PositiveIntegerField(default=0)
    quota = models.FloatField(default=0.0)

    class Meta:
        verbose_name = _("plan grid")
        verbose_name_plural = _("plan grids")
        db_table = "grids_plangrid"
        ordering = ["plan", "index"]
        constraints = [models.UniqueConstraint(fields=["plan", "index"], name="unique_plan_grid_index")]

    def __str__(self) -> str:
        return f"{self.plan_id}#{self.index} {self.name}"


class PlanUnit(models.Model):
    """Which grid of a plan a basic unit is in, and its workload under the plan's weights."""

    plan = models.ForeignKey(GridPlan, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(BasicUnit, on_delete=models.CASCADE, related_name="+")
    grid_index = models.PositiveSmallIntegerField()
    workload = models.FloatField(default=0.0)

    class Meta:
        verbose_name = _("plan unit")
        verbose_name_plural = _("plan units")
        db_table = "grids_planunit"
        constraints = [models.UniqueConstraint(fields=["plan", "unit"], name="unique_plan_unit")]
        indexes = [models.Index(fields=["plan", "grid_index"])]


class Platform(models.Model):
    """A fixed police station or service platform that responds to incidents on the road network.

    ``road_node`` is the source id (OSM node id) of the road node it starts from, found when it is
    saved, so that it survives a rebuilt road cache; analyses re-snap it if the node disappeared.
    """

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=20, choices=PlatformKind.choices, default=PlatformKind.PLATFORM
    )
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    road_node = models.BigIntegerField(_("road node (source id)"), null=True, blank=True)
    snap_m = models.FloatField(_("distance to road node (m)"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        db_table = "grids_platform"
        ordering = ["code"]
        verbose_name = _("platform")
        verbose_name_plural = _("platforms")

    def __str__(self) -> str:
        return self.name


class AccidentRecord(models.Model):
    """A traffic accident point imported from an open-data file (counted into unit workload)."""

    source = models.SlugField(max_length=60, verbose_name=_("source"))
    external_id = models.CharField(max_length=100, verbose_name=_("id in the source"))
    lat = models.FloatField(verbose_name=_("latitude"))
    lon = models.FloatField(verbose_name=_("longitude"))
    occurred_at = models.DateTimeField(null=True, blank=True, verbose_name=_("occurred at"))
    street = models.CharField(max_length=200, blank=True, verbose_name=_("street"))
    victims = models.PositiveIntegerField(default=0, verbose_name=_("victims"))
    vehicles = models.PositiveIntegerField(default=0, verbose_name=_("vehicles"))
    # Accident statistics (stats/accidents.py): what is known of each accident; blank when unknown.
    accident_type = models.CharField(max_length=80, blank=True, verbose_name=_("accident type"))
    injured_mild = models.PositiveIntegerField(default=0, verbose_name=_("lightly injured"))
    injured_serious = models.PositiveIntegerField(default=0, verbose_name=_("seriously injured"))
    deaths = models.PositiveIntegerField(default=0, verbose_name=_("deaths"))
    district = models.CharField(max_length=120, blank=True, verbose_name=_("district"))
    neighbourhood = models.CharField(max_length=120, blank=True, verbose_name=_("neighbourhood"))
    weather = models.CharField(max_length=40, blank=True, verbose_name=_("weather"))
    road_surface = models.CharField(max_length=40, blank=True, verbose_name=_("road surface"))
    incident = models.OneToOneField(
        "dispatching.Incident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accident_record",
        help_text=_("Set for a record made from the incident of an accident appeal."),
        verbose_name=_("incident"),
    )

    class Meta:
        db_table = "grids_accidentrecord"
        verbose_name = _("accident record")
        verbose_name_plural = _("accident records")
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="unique_accident_record")
        ]
