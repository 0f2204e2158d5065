"""Reading the jurisdiction for ``history`` and writing the drawn rows to the database.

``generate_history`` is what `lastmeter demo --history N` runs: read the grids, people,
departments, categories and clock policies; draw (``history_tables.plan_history``); write every
table in one transaction — PostgreSQL's ``COPY`` (psycopg's copy protocol, text format) in
batches, a plain ``executemany`` INSERT elsewhere (SQLite, small N: ``bulk_create`` would stamp
``auto_now`` columns with today); move the id sequences past the new rows; rebuild the stats
rollup. Each step's wall time is returned so the caller can report it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone
from shapely.geometry import shape

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import Department, Person, RoleAssignment
from lastmeter.appeals.clocks import policy_for
from lastmeter.appeals.models import (
    Appeal,
    AppealEvent,
    Category,
    Clock,
    ClockPolicy,
    LandingProof,
    Rating,
    Transfer,
)
from lastmeter.demo.categories import DEMO_CATEGORY_CODES
from lastmeter.demo.history import CategoryInfo, ClockRule, DepartmentInfo, GridInfo, History, Jurisdiction
from lastmeter.demo.history_tables import LOCAL_REFS, plan_history
from lastmeter.grids.models import Grid
from lastmeter.grids.selectors import grid_members, leadership_of
from lastmeter.lib.fieldcrypt import encrypt, phone_hash
from lastmeter.lib.fields import EncryptedTextField, PhoneHashField
from lastmeter.stats import rollups

MODELS: dict[str, type[models.Model]] = {
    "appeals": Appeal,
    "transfers": Transfer,
    "clocks": Clock,
    "events": AppealEvent,
    "ratings": Rating,
    "landings": LandingProof,
}
BATCH = 100_000


def read_jurisdiction() -> Jurisdiction:
    """The active grids with their officer and auxiliaries, the demo's categories (every
    category when the demo's are absent) with their clock policies, the departments with a
    liaison each, and the leader to escalate to."""
    grids = []
    names: dict[int, str] = {}
    leader = None
    for grid in (
        Grid.objects.filter(active=True).select_related("community", "responsible_officer").order_by("id")
    ):
        members = grid_members(grid)
        names.update({p.pk: p.name for p in members})
        if grid.responsible_officer:
            names[grid.responsible_officer.pk] = grid.responsible_officer.name
        leader = leader or leadership_of(grid.community)
        grids.append(
            GridInfo(
                id=grid.pk,
                community_id=grid.community_id,
                bbox=tuple(shape(grid.boundary).bounds),
                officer_id=grid.responsible_officer_id,
                member_ids=tuple(p.pk for p in members),
            )
        )
    if leader is not None:
        names[leader.pk] = leader.name
    demo = Category.objects.filter(code__in=DEMO_CATEGORY_CODES.values())
    categories = []
    for cat in (demo if demo.exists() else Category.objects.all()).order_by("code"):
        rule = {kind: ClockRule(*policy_for(kind, cat.pk)) for kind in ("contact", "land")}
        own = {
            p.kind: ClockRule(p.amount, p.unit, p.pause_while_waiting)
            for p in ClockPolicy.objects.filter(
                category=cat, kind__in=["transfer_accept", "transfer_outcome"]
            )
        }
        categories.append(
            CategoryInfo(
                id=cat.pk,
                code=cat.code,
                name=cat.name,
                department_id=cat.department_id,
                priority=cat.default_priority,
                contact=rule["contact"],
                land=rule["land"],
                accept=own.get("transfer_accept"),
                outcome=own.get("transfer_outcome"),
            )
        )
    departments = []
    for dept in Department.objects.order_by("id"):
        ra = (
            RoleAssignment.objects.filter(role=Role.DEPARTMENT_LIAISON, department=dept)
            .order_by("id")
            .first()
        )
        if ra is not None:
            names[ra.person_id] = Person.objects.get(pk=ra.person_id).name
        departments.append(
            DepartmentInfo(
                id=dept.pk,
                liaison_id=ra.person_id if ra else None,
                accept=ClockRule(dept.accept_within_hours, "hours"),
                outcome=ClockRule(dept.outcome_within_working_days, "working_days"),
            )
        )
    if not grids or not categories:
        raise ValueError("history needs grids and categories: load the demo (`lastmeter demo`) first")
    return Jurisdiction(
        grids=tuple(grids),
        categories=tuple(categories),
        departments=tuple(departments),
        leader_id=leader.pk if leader else None,
        names=names,
        time_zone=settings.TIME_ZONE,
    )


# --- writing ------------------------------------------------------------------------------------


def next_ids() -> dict[str, int]:
    """The first free id of each table (the drawn rows go after every existing one)."""
    return {
        table: (model._default_manager.aggregate(m=models.Max("id"))["m"] or 0) + 1
        for table, model in MODELS.items()
    }


def with_ids(h: History, first: dict[str, int]) -> dict[str, dict[str, np.ndarray]]:
    """Each table's columns with real ids: local indices shifted by the table's first id, the
    appeal's reference made from its local day and id, times floored to whole seconds (floor
    keeps every ``a ≤ b`` between two instants)."""
    tables = {t: dict(getattr(h, t)) for t in MODELS}
    for table, columns in tables.items():
        size = len(next(iter(columns.values()))) if columns else 0
        columns["id"] = first[table] + np.arange(size)
        for (ref_table, column), target in LOCAL_REFS.items():
            if ref_table == table and column in columns:
                local = np.asarray(columns[column])
                columns[column] = np.where(local >= 0, local + first[target], -1)
    appeals = tables["appeals"]
    day = appeals.pop("_local_day")
    appeals["reference"] = np.char.add(
        np.char.add("LM", day.astype(str)), np.char.zfill(appeals["id"].astype(str), 6)
    )
    return tables


def _field_map(model: type[models.Model]) -> dict[str, models.Field]:
    return {f.attname: f for f in model._meta.concrete_fields}


def _epoch_seconds(values: np.ndarray) -> np.ndarray:
    return np.floor(np.asarray(values, dtype=float))


def copy_text(field: models.Field, values: np.ndarray) -> list[str]:
    """One column in PostgreSQL's COPY text format (``\\N`` for NULL)."""
    values = np.asarray(values)
    if isinstance(field, models.DateTimeField):
        secs = _epoch_seconds(values)
        missing = np.isnan(secs)
        stamps = np.datetime_as_string(
            np.where(missing, 0, secs).astype("int64").astype("datetime64[s]"), unit="s"
        )
        return np.where(missing, "\\N", np.char.add(stamps, "+00")).tolist()
    if isinstance(field, models.BooleanField):
        return np.where(values.astype(bool), "t", "f").tolist()
    if isinstance(field, models.FloatField):
        floats = values.astype(float)
        return np.where(np.isnan(floats), "\\N", floats.astype(str)).tolist()
    if isinstance(field, models.IntegerField | models.ForeignKey | models.AutoField | models.BigAutoField):
        ints = values.astype("int64")
        return (
            np.where(ints < 0, "\\N", ints.astype(str)).tolist() if field.null else ints.astype(str).tolist()
        )
    return [str(v) for v in values.tolist()]  # text we wrote: no tab, newline or backslash


def python_values(field: models.Field, values: np.ndarray) -> list:
    """One column as Python values the database adapter takes (for executemany)."""
    values = np.asarray(values)
    if isinstance(field, models.DateTimeField):
        out: list = []
        for s in _epoch_seconds(values).tolist():
            if s != s:  # NaN
                out.append(None)
            else:
                out.append(connection.ops.adapt_datetimefield_value(datetime.fromtimestamp(s, UTC)))
        return out
    if isinstance(field, models.BooleanField):
        return values.astype(bool).tolist()
    if isinstance(field, models.FloatField):
        return [None if v != v else v for v in values.astype(float).tolist()]
    if isinstance(field, models.IntegerField | models.ForeignKey | models.AutoField | models.BigAutoField):
        return [None if (v < 0 and field.null) else v for v in values.astype("int64").tolist()]
    return [str(v) for v in values.tolist()]


def at_rest(fields: dict[str, models.Field], columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The columns as the database must hold them: encrypted fields encrypted, phone hashes
    computed from their source column (the raw COPY/INSERT bypasses the fields' own code)."""
    size = len(columns["id"])
    out = dict(columns)
    for name, field in fields.items():
        if isinstance(field, PhoneHashField):
            source = np.broadcast_to(np.asarray(columns[field.source], dtype=object), (size,))
            out[name] = np.array([phone_hash(str(v)) for v in source.tolist()], dtype=object)
    for name, field in fields.items():
        if isinstance(field, EncryptedTextField):
            plain = np.broadcast_to(np.asarray(columns[name], dtype=object), (size,))
            out[name] = np.array([encrypt(str(v)) for v in plain.tolist()], dtype=object)
    return out


def write_table(model: type[models.Model], columns: dict[str, np.ndarray]) -> int:
    """Insert the rows (every concrete column must be given). Caller holds a transaction."""
    fields = _field_map(model)
    missing = set(fields) - set(columns)
    if missing:
        raise ValueError(f"{model.__name__}: no values for {sorted(missing)}")
    columns = at_rest(fields, columns)
    names = list(fields)
    size = len(columns["id"])
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(fields[n].column) for n in names)
    with connection.cursor() as cursor:
        for start in range(0, size, BATCH):
            part = {n: np.asarray(columns[n])[start : start + BATCH] for n in names}
            if connection.vendor == "postgresql":
                text_columns = [copy_text(fields[n], part[n]) for n in names]
                lines = "\n".join(map("\t".join, zip(*text_columns, strict=True))) + "\n"
                with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                    copy.write(lines)
            else:
                py_columns = [python_values(fields[n], part[n]) for n in names]
                marks = ", ".join(["%s"] * len(names))
                cursor.executemany(
                    f"INSERT INTO {table} ({quoted}) VALUES ({marks})", list(zip(*py_columns, strict=True))
                )
    return size


def skip_fk_triggers() -> None:
    """On PostgreSQL as a superuser, skip the foreign-key triggers for this transaction: Django's
    deferred FK checks would re-read a parent row for each of the millions of rows at COMMIT
    (about half the write time), and the drawn rows reference existing or just-written ids by
    construction (``with_ids``). Other users and databases check as usual."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
        if row and row[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")


def write_history(h: History, report: Callable[[str, float, int], None] | None = None) -> dict[str, int]:
    """Write every table of ``h`` after the existing rows, in one transaction; rows per table."""
    written = {}
    with transaction.atomic():
        skip_fk_triggers()
        tables = with_ids(h, next_ids())
        for name, model in MODELS.items():
            started = time.perf_counter()
            written[name] = write_table(model, tables[name])
            if report:
                report(f"write {name}", time.perf_counter() - started, written[name])
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(MODELS.values())):
                cursor.execute(sql)
    return written


def generate_history(
    n: int,
    *,
    years: float = 3,
    seed: int = 20240101,
    end: datetime | None = None,
    rebuild_rollup: bool = True,
    report: Callable[[str, float, int], None] | None = None,
) -> dict[str, float]:
    """Draw and write ``n`` appeals received over the ``years`` before today's local date, with
    their history up to ``end`` (now by default), then rebuild the rollup. Returns the seconds
    each step took (``read``, ``draw``, ``write``, ``rollup``)."""
    timings: dict[str, float] = {}

    def step(name: str, started: float, rows: int = 0) -> None:
        timings[name] = round(time.perf_counter() - started, 2)
        if report:
            report(name, timings[name], rows)

    end = end or timezone.now()
    tz = ZoneInfo(settings.TIME_ZONE)
    days = max(1, round(365.25 * years))
    first_day = end.astimezone(tz).date() - timedelta(days=days)
    started = time.perf_counter()
    jurisdiction = read_jurisdiction()
    step("read", started)
    started = time.perf_counter()
    history = plan_history(jurisdiction, n, first_day=first_day, days=days, end=end.timestamp(), seed=seed,
                           warn_fraction=settings.LASTMETER_WARNING_FRACTION)  # fmt: skip
    step("draw", started, n)
    started = time.perf_counter()
    written = write_history(history, report)
    step("write", started, sum(written.values()))
    if rebuild_rollup:
        started = time.perf_counter()
        rows = rollups.rebuild()
        step("rollup", started, rows)
    return timings


__all__ = ["generate_history", "read_jurisdiction", "write_history"]
