"""`lastmeter rotate-keys`: re-encrypt residents' personal data under the newest key and recompute
the phone hashes (lastmeter.lib.keyrotation; the steps are in docs/ARCHITECTURE.md)."""

from __future__ import annotations

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand

from lastmeter.lib.keyrotation import personal_data_columns, rotate_all


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column with the first key of LASTMETER_FIELD_KEYS and recompute "
        "every phone hash with LASTMETER_HASH_KEY. --generate prints a new Fernet key and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--generate", action="store_true", help="print a new Fernet key and stop")
        parser.add_argument("--dry-run", action="store_true", help="list what would be rewritten")

    def handle(self, *args, generate=False, dry_run=False, **options):
        if generate:
            self.stdout.write(Fernet.generate_key().decode())
            return
        if dry_run:
            for columns in personal_data_columns():
                count = columns.model._default_manager.count()
                self.stdout.write(f"{columns.label}: {count} rows ({', '.join(columns.written)})")
            return
        for label, count in rotate_all().items():
            self.stdout.write(f"{label}: {count} rows re-encrypted and re-hashed")
