"""`lastmeter backup` then `lastmeter restore` into an empty database gives back every row: the
counts of every table and a sample of whole rows match. Runs on the backend the suite runs on
(SQLite by default, PostgreSQL with DATABASE_URL — pg_dump/pg_restore)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from lastmeter.accounts.models import AccessLog, ApiToken, Person
from lastmeter.accounts.services import log_access
from lastmeter.accounts.tokens import issue_token
from lastmeter.appeals.models import Appeal, AppealEvent, Clock, OutboxMessage
from lastmeter.testing import servers

pytestmark = pytest.mark.django_db(transaction=True)

SAMPLED = [Person, Appeal, Clock, OutboxMessage, AppealEvent, AccessLog, ApiToken]


def tables() -> list[str]:
    names = {m._meta.db_table for m in apps.get_models() if m._meta.managed and not m._meta.proxy}
    existing = set(connection.introspection.table_names())
    return sorted(names & existing)


@pytest.fixture
def empty_database(tmp_path) -> Iterator[str]:
    """The DATABASE_URL of a new, empty database beside the test database."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    import psycopg

    name = f"{connection.settings_dict['NAME']}_restore_{os.getpid()}"
    base = servers.test_database_url().rsplit("/", 1)[0]
    with closing(psycopg.connect(base + "/postgres", autocommit=True)) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{base}/{name}"
    with closing(psycopg.connect(base + "/postgres", autocommit=True)) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def other_cursor(url: str):
    """A plain DB-API connection (not Django's, which converts values) to the database at ``url``."""
    if url.startswith("sqlite:///"):
        return sqlite3.connect(url[len("sqlite:///") :])
    import psycopg

    return psycopg.connect(url)


def rows(cursor_source, sql: str) -> list[tuple]:
    cur = cursor_source.cursor()
    cur.execute(sql)
    return [tuple(r) for r in cur.fetchall()]


def test_it_restores_a_backup_into_an_empty_database_with_every_row(
    world, new_appeal, empty_database, tmp_path
):
    for i in range(3):
        appeal = new_appeal(text=f"第{i}个诉求：小区门口有车辆违停")
        log_access(world.dispatcher, "appeal detail", appeal, "test")
    issue_token(world.dispatcher, "console")
    backup_file = tmp_path / "lastmeter.backup"
    call_command("backup", str(backup_file), stdout=StringIO())
    assert backup_file.stat().st_size > 0

    call_command("restore", str(backup_file), "--database-url", empty_database, stdout=StringIO())

    # Both read through the same plain driver, so values compare as stored.
    with (
        closing(other_cursor(empty_database)) as restored,
        closing(other_cursor(servers.test_database_url())) as live,
    ):
        for table in tables():
            q = f'SELECT count(*) FROM "{table}"'
            assert rows(restored, q) == rows(live, q), table
        for model in SAMPLED:
            table, pk = model._meta.db_table, model._meta.pk.column
            sample = f'SELECT * FROM "{table}" ORDER BY "{pk}" LIMIT 5'
            original = rows(live, sample)
            assert original, f"no rows in {table} to compare"
            assert rows(restored, sample) == original, table
    assert Appeal.objects.count() == 3


def test_it_refuses_to_restore_over_a_database_that_holds_lastmeter(world, tmp_path, empty_database):
    backup_file = tmp_path / "lastmeter.backup"
    call_command("backup", str(backup_file), stdout=StringIO())
    call_command("restore", str(backup_file), "--database-url", empty_database, stdout=StringIO())
    with pytest.raises(CommandError, match="already holds"):
        call_command("restore", str(backup_file), "--database-url", empty_database)
    # --replace loads it again over the old tables.
    call_command(
        "restore",
        str(backup_file),
        "--replace",
        "--database-url",
        empty_database,
        stdout=StringIO(),
    )
    with closing(other_cursor(empty_database)) as restored:
        assert rows(restored, 'SELECT count(*) FROM "accounts_person"') == [(Person.objects.count(),)]


def test_it_refuses_to_overwrite_a_file_or_read_a_file_that_is_no_backup(db, tmp_path, empty_database):
    existing = tmp_path / "taken"
    existing.write_text("not a backup")
    with pytest.raises(CommandError, match="exists"):
        call_command("backup", str(existing))
    with pytest.raises(CommandError):
        call_command("restore", str(existing), "--database-url", empty_database)
    with pytest.raises(CommandError, match="no backup file"):
        call_command("restore", str(tmp_path / "missing"), "--database-url", empty_database)
