"""`lastmeter restore FILE [--replace] [--database-url URL]`: load a backup (lastmeter.ops.backups).

Into an empty database by default; `--replace` drops and replaces the tables of a database that
already holds lastmeter. Stop the web servers and workers first when restoring over a live one.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from lastmeter.lib.env import database_from_url
from lastmeter.lib.errors import ServiceError
from lastmeter.ops.backups import restore


class Command(BaseCommand):
    help = "Restore a backup made by `lastmeter backup` (pg_restore on PostgreSQL, SQLite's backup API on SQLite)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the backup to load")
        parser.add_argument(
            "--replace", action="store_true", help="replace the tables of a non-empty database"
        )
        parser.add_argument(
            "--database-url", default="", help="restore into this database instead of the configured one"
        )

    def handle(self, *args, file: str, replace=False, database_url="", **options):
        db = database_from_url(database_url) if database_url else connections["default"].settings_dict
        if not database_url:
            connections.close_all()  # our own connections must not hold the file or tables
        try:
            restore(db, Path(file), replace=replace)
        except ServiceError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(f"restored {file} into {db['NAME']}")
