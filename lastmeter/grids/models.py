"""Grids: the polygons a jurisdiction is divided into, each with one responsible officer."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Grid(models.Model):
    """A grid ("网格"): one responsible community officer plus N auxiliaries (grid members).

    The boundary is a GeoJSON Polygon/MultiPolygon in WGS-84 (lon, lat order, as GeoJSON says).
    Only the grids of the adopted plan are `active`; appeals route by active grids.
    """

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    community = models.ForeignKey(
        "accounts.OrgUnit", on_delete=models.PROTECT, related_name="grids", verbose_name=_("community")
    )
    responsible_officer = models.ForeignKey(
        "accounts.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responsible_grids",
        verbose_name=_("responsible officer"),
    )
    boundary = models.JSONField(_("boundary (GeoJSON)"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("grid")
        verbose_name_plural = _("grids")

    def __str__(self) -> str:
        return self.name
