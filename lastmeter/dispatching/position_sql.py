"""A unit's own position report in one SQL statement (PostgreSQL): the hot path of the fleet.

Every unit reports every few seconds, so a city's 2,000 units send hundreds of reports a second.
Through the ORM a report is eight statements (read the unit, BEGIN, lock it, insert the report,
update the unit, look for an open SOS, COMMIT) and about 8 ms of a web process's CPU, most of it
Django compiling those queries (docs/BENCHMARKS.md, "Load"). Here the same write is one
statement: it locks the unit if it is the reporter's, updates it (moving it only when the report is
its newest), appends the report, and does nothing when the reporter has an SOS open — that case,
and a unit that is not the reporter's, go through ``services.do_report_position`` as before, which
stays the one definition of what a report does (this module is checked against it by
``dispatching/tests/test_position_sql.py``).

PostgreSQL only: SQLite has no data-modifying WITH and no row locks; the embedded default takes
the ORM path.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection

from lastmeter.dispatching.choices import SOS_OPEN
from lastmeter.dispatching.models import PositionReport, SosAlarm, Unit

# The columns of the unit read back (what the answer and the live event show).
UNIT_COLUMNS = (
    "id",
    "code",
    "name",
    "agency",
    "unit_type",
    "skills",
    "status",
    "status_changed_at",
    "person_id",
    "lat",
    "lon",
    "heading",
    "accuracy_m",
    "position_at",
    "node",
    "reports_count",
    "updated_at",
)

_SQL = """
WITH unit AS (
    SELECT id, (position_at IS NULL OR position_at <= %(at)s) AS newest
    FROM {unit_table}
    WHERE id = %(unit_id)s AND person_id = %(person_id)s
      AND NOT EXISTS (
          SELECT 1 FROM {sos_table} WHERE person_id = %(person_id)s AND status = ANY(%(sos_open)s)
      )
    FOR UPDATE
), moved AS (
    UPDATE {unit_table} AS u SET
        reports_count = u.reports_count + 1,
        updated_at = %(now)s,
        lat = CASE WHEN unit.newest THEN %(lat)s ELSE u.lat END,
        lon = CASE WHEN unit.newest THEN %(lon)s ELSE u.lon END,
        accuracy_m = CASE WHEN unit.newest THEN %(accuracy_m)s ELSE u.accuracy_m END,
        heading = CASE WHEN unit.newest THEN %(heading)s ELSE u.heading END,
        position_at = CASE WHEN unit.newest THEN %(at)s ELSE u.position_at END,
        node = CASE WHEN unit.newest THEN %(node)s ELSE u.node END
    FROM unit
    WHERE u.id = unit.id
    RETURNING {returning}, unit.newest
), report AS (
    INSERT INTO {report_table} (unit_id, lat, lon, accuracy_m, heading, at)
    SELECT id, %(lat)s, %(lon)s, %(accuracy_m)s, %(heading)s, %(at)s FROM moved
)
SELECT * FROM moved
"""


@cache
def _statement() -> str:
    """The statement with this schema's names: built once per process, not per report."""
    quote = connection.ops.quote_name
    return _SQL.format(
        unit_table=quote(Unit._meta.db_table),
        sos_table=quote(SosAlarm._meta.db_table),
        report_table=quote(PositionReport._meta.db_table),
        returning=", ".join(f"u.{quote(c)}" for c in UNIT_COLUMNS),
    )


def report_own_unit(
    unit_id: int,
    person_id: int,
    lat: float,
    lon: float,
    accuracy_m: float | None,
    heading: float | None,
    at: datetime,
    now: datetime,
    node: int | None,
) -> tuple[Unit, bool] | None:
    """Apply the report in one statement: (the unit as it now is, whether it moved), or None when
    nothing was written — the unit is not ``person_id``'s, or they have an SOS open. Runs in the
    caller's transaction if there is one, else commits on its own (one statement is atomic)."""
    params: dict[str, Any] = {
        "unit_id": unit_id,
        "person_id": person_id,
        "sos_open": sorted(str(status) for status in SOS_OPEN),
        "lat": lat,
        "lon": lon,
        "accuracy_m": accuracy_m,
        "heading": heading,
        "at": at,
        "now": now,
        "node": node,
    }
    with connection.cursor() as cursor:
        cursor.execute(_statement(), params)
        row = cursor.fetchone()
    if row is None:
        return None
    return _unit_from(row[:-1]), bool(row[-1])


@cache
def _unit_fields() -> dict[str, Any]:
    return {field.attname: field for field in Unit._meta.concrete_fields}


def _unit_from(row: tuple[Any, ...]) -> Unit:
    """A Unit from the columns read back, each converted as the ORM would (the JSON of ``skills``
    arrives as text from a raw cursor)."""
    fields = _unit_fields()
    values = {}
    for column, value in zip(UNIT_COLUMNS, row, strict=True):
        from_db = getattr(fields[column], "from_db_value", None)
        values[column] = from_db(value, None, connection) if from_db and value is not None else value
    return Unit.from_db(connection.alias, list(values), list(values.values()))
