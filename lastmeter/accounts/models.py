"""People, roles, the organisation tree and the departments appeals are transferred to."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lastmeter.accounts.choices import OrgKind, Role, TokenScope, VolunteerKind


class OrgUnit(models.Model):
    """A node of the organisation tree: jurisdiction → station/squadron → community → building.

    Grids (lastmeter.grids) are drawn inside a station and belong to one community; buildings may
    also point at the grid that contains them.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=OrgKind.choices)
    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=60, unique=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    grid = models.ForeignKey(
        "grids.Grid",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="buildings",
        help_text=_("For buildings: the grid that contains it."),
        verbose_name=_("grid"),
    )
    lat = models.FloatField(null=True, blank=True, verbose_name=_("latitude"))
    lon = models.FloatField(null=True, blank=True, verbose_name=_("longitude"))

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"

    def ancestors(self) -> list[OrgUnit]:
        """This unit and its parents, nearest first."""
        chain: list[OrgUnit] = []
        node: OrgUnit | None = self
        while node is not None and len(chain) < 16:  # the tree is shallow; the bound guards cycles
            chain.append(node)
            node = node.parent
        return chain


class Department(models.Model):
    """A body outside the police that receives transferred appeals (urban management, housing, …)."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    phone = models.CharField(_("duty phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    # Hours a department has to accept or return a transfer unless a category policy says otherwise.
    accept_within_hours = models.PositiveIntegerField(_("accept within (hours)"), default=4)
    # Working days (China's calendar) from acceptance to the department's outcome, unless a
    # category policy for the outcome clock says otherwise.
    outcome_within_working_days = models.PositiveIntegerField(
        _("report the outcome within (working days)"), default=5
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """Someone in the network: officer, auxiliary, building head, volunteer, dispatcher, liaison…

    A person may have a login (user) or not (many building heads only receive messages).
    Phone numbers are personal data: lists show them masked (lastmeter.lib.text.mask_phone).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
        verbose_name=_("login account"),
    )
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    badge = models.CharField(_("badge number"), max_length=40, blank=True)
    volunteer_kind = models.CharField(
        _("volunteer kind"), max_length=30, choices=VolunteerKind.choices, blank=True, default=""
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.name


class RoleAssignment(models.Model):
    """One role of a person, scoped to an org unit, a grid or a department as the role needs.

    leadership → station; community_police → community (and grids via Grid.responsible_officer);
    grid_member → grid; building_head → building; department_liaison → department.
    """

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="roles", verbose_name=_("person")
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    org_unit = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="roles",
        verbose_name=_("organisation unit"),
    )
    grid = models.ForeignKey(
        "grids.Grid",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="roles",
        verbose_name=_("grid"),
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="liaisons",
        verbose_name=_("department"),
    )

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "role", "org_unit", "grid", "department"], name="unique_role_assignment"
            ),
        ]

    def __str__(self) -> str:
        scope = self.org_unit or self.grid or self.department or "—"
        return f"{self.person} · {self.get_role_display()} · {scope}"


class DutyShift(models.Model):
    """A simple duty roster entry: this person is on duty for this grid from..to."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("person")
    )
    grid = models.ForeignKey(
        "grids.Grid", on_delete=models.CASCADE, related_name="shifts", verbose_name=_("grid")
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("to"))

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty roster")
        indexes = [models.Index(fields=["grid", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.grid} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for staff devices and integrations, acting as its person.

    Only the SHA-256 of the token is stored (the token is 256 random bits, so a fast hash is
    enough), with its first characters (``prefix``) to recognise it in lists. A token has a scope
    (``TokenScope``: read, write or positions), an expiry, and is revoked by setting ``revoked_at``;
    ``lastmeter.accounts.tokens`` issues, checks and revokes them.
    """

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="tokens", verbose_name=_("person")
    )
    label = models.CharField(_("label"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False, verbose_name=_("key hash"))
    prefix = models.CharField(_("starts with"), max_length=12, blank=True, editable=False)
    scope = models.CharField(_("scope"), max_length=20, choices=TokenScope.choices, default=TokenScope.WRITE)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last used at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.person} · {self.label}"

    @staticmethod
    def new_raw_key() -> str:
        return "lm_" + secrets.token_urlsafe(32)


class AccessLog(models.Model):
    """One read of personal data: who looked, at what, of which object, when and why.

    Written by ``lastmeter.accounts.services.log_access``, which every place that shows personal
    data calls: the appeal detail (page and API), an appeal's photos, the intake item page, and the
    admin's change pages of appeals, people, inbound items and outbox messages. A new screen that
    shows a full phone number or a reporter's data must call it too. Rows are never edited; the
    admin lists them read-only.
    """

    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("person")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("login"),
        help_text=_("The login used, also when it belongs to no person (an administrator)."),
    )
    what = models.CharField(_("what"), max_length=200)
    object_type = models.CharField(_("object type"), max_length=100, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_label = models.CharField(_("object"), max_length=200, blank=True)
    why = models.CharField(_("why"), max_length=300, blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        indexes = [models.Index(fields=["object_type", "object_id"], name="accesslog_object")]

    def __str__(self) -> str:
        who = self.person or self.user or "—"
        return f"{self.at:%Y-%m-%d %H:%M} {who}: {self.what} {self.object_label}"
