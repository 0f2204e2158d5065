"""`lastmeter backup [FILE]`: a consistent copy of the database (see lastmeter.ops.backups)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils import timezone

from lastmeter.lib.env import database_from_url
from lastmeter.lib.errors import ServiceError
from lastmeter.ops.backups import backup, is_postgres


class Command(BaseCommand):
    help = "Back up the database: pg_dump (custom format) on PostgreSQL, SQLite's backup API on SQLite."

    def add_arguments(self, parser):
        parser.add_argument(
            "file", nargs="?", help="where to write (default: LASTMETER_BACKUP_DIR/lastmeter-<time>)"
        )
        parser.add_argument(
            "--database-url", default="", help="back up this database instead of the configured one"
        )

    def handle(self, *args, file=None, database_url="", **options):
        db = database_from_url(database_url) if database_url else connections["default"].settings_dict
        if file:
            target = Path(file)
        else:
            stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
            target = (
                Path(settings.LASTMETER_BACKUP_DIR)
                / f"lastmeter-{stamp}.{'pgdump' if is_postgres(db) else 'sqlite3'}"
            )
        try:
            written = backup(db, target)
        except ServiceError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(str(written))
