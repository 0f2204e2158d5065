"""Backup and restore of the database: pg_dump/pg_restore on PostgreSQL, SQLite's backup API.

Both take a Django DATABASES entry, so `lastmeter restore --database-url …` can restore into another
(empty) database to look at a backup without touching the live one. A restore refuses a database
that already holds lastmeter's tables unless told to replace them (``replace=True``).

Photos (MEDIA_ROOT) are files, not rows: back that folder up with the database (README "Backups").
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from lastmeter.lib.errors import ServiceError

PG_FORMAT = "custom"  # pg_dump -Fc: compressed, restorable table by table with pg_restore


def is_postgres(db: dict[str, Any]) -> bool:
    return str(db["ENGINE"]).endswith("postgresql")


def is_sqlite(db: dict[str, Any]) -> bool:
    return str(db["ENGINE"]).endswith("sqlite3")


def _pg_env(db: dict[str, Any]) -> dict[str, str]:
    """libpq's environment for the client binaries: the password never goes on a command line."""
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    env["PGDATABASE"] = str(db["NAME"])
    return env


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ServiceError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return path


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise ServiceError(f"{Path(args[0]).name} failed ({done.returncode}): {done.stderr.strip()[:2000]}")


def backup(db: dict[str, Any], target: Path) -> Path:
    """Write a consistent copy of ``db`` to ``target`` (a new file); returns it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise ServiceError(f"{target} exists: backups never overwrite a file")
    if is_postgres(db):
        # One transaction snapshot (pg_dump's default): consistent while the site keeps running.
        _run(
            [
                _binary("pg_dump"),
                f"--format={PG_FORMAT}",
                "--no-owner",
                "--no-privileges",
                f"--file={target}",
            ],
            _pg_env(db),
        )
    elif is_sqlite(db):
        # The online backup API copies page by page under SQLite's locks: consistent too.
        with sqlite3.connect(str(db["NAME"])) as source, sqlite3.connect(str(target)) as copy:
            source.backup(copy)
        copy.close()
        source.close()
    else:
        raise ServiceError(f"no backup for the database engine {db['ENGINE']}")
    return target


def has_tables(db: dict[str, Any]) -> bool:
    """Does ``db`` already hold lastmeter (Django's migration table)?"""
    if is_sqlite(db):
        if not Path(str(db["NAME"])).exists():
            return False
        with sqlite3.connect(str(db["NAME"])) as conn:
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='django_migrations'"
            ).fetchone()
        conn.close()
        return found is not None
    import psycopg  # the PostgreSQL driver, imported only when PostgreSQL is in use

    with psycopg.connect(**_pg_connect_args(db)) as pg:
        row = pg.execute("SELECT to_regclass('public.django_migrations') IS NOT NULL").fetchone()
    return bool(row and row[0])


def _pg_connect_args(db: dict[str, Any]) -> dict[str, Any]:
    args = {"dbname": db["NAME"], "user": db.get("USER") or None, "password": db.get("PASSWORD") or None}
    args.update(host=db.get("HOST") or None, port=db.get("PORT") or None)
    return {k: v for k, v in args.items() if v is not None}


def restore(db: dict[str, Any], source: Path, *, replace: bool = False) -> None:
    """Load the backup ``source`` into ``db``. Refuses a database with lastmeter's tables unless
    ``replace`` (then every table of the backup is dropped and recreated)."""
    if not source.is_file():
        raise ServiceError(f"no backup file {source}")
    if has_tables(db) and not replace:
        raise ServiceError(
            f"the database {db['NAME']} already holds lastmeter's tables: restore into an empty one, "
            "or pass --replace to drop and replace them"
        )
    if is_postgres(db):
        args = [
            _binary("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
        ]
        if replace:
            args += ["--clean", "--if-exists"]
        _run([*args, f"--dbname={db['NAME']}", str(source)], _pg_env(db))
    elif is_sqlite(db):
        with sqlite3.connect(str(source)) as backup_file:
            try:
                sound = backup_file.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            except sqlite3.DatabaseError:
                sound = False
            if not sound:
                raise ServiceError(f"{source} is not a sound SQLite database")
            with sqlite3.connect(str(db["NAME"])) as live:
                backup_file.backup(live)  # replaces every page of the target
            live.close()
        backup_file.close()
    else:
        raise ServiceError(f"no restore for the database engine {db['ENGINE']}")
