"""Re-encrypt every encrypted column under the newest key and recompute every phone hash.

Run by ``lastmeter rotate-keys`` after a key change (docs/ARCHITECTURE.md, "Personal data at
rest"): with a new Fernet key put first in ``LASTMETER_FIELD_KEYS`` (the old ones still listed),
each row is read (any listed key opens it) and written back (the first key encrypts); with a new
``LASTMETER_HASH_KEY``, the hashes are computed afresh from the decrypted numbers. Afterwards the
old Fernet keys can be removed from the list.

The models are found by their fields (``EncryptedTextField``, ``PhoneHashField``), so a new
model with personal data is rotated without being named here. Rows are locked in batches
(``select_for_update``) while they are rewritten, so a concurrent edit is never overwritten with
an older value; running it twice is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import models, transaction

from lastmeter.lib.fields import EncryptedTextField, PhoneHashField

BATCH = 500


@dataclass(frozen=True)
class Columns:
    """The personal-data columns of one model."""

    model: type[models.Model]
    encrypted: tuple[str, ...]
    hashes: tuple[PhoneHashField, ...]

    @property
    def label(self) -> str:
        return self.model._meta.label

    @property
    def written(self) -> list[str]:
        return [*self.encrypted, *(f.name for f in self.hashes)]


def personal_data_columns() -> list[Columns]:
    """Every installed model with an encrypted or a hash column, in a stable order."""
    found: list[Columns] = []
    for model in apps.get_models():
        fields = model._meta.concrete_fields
        encrypted = tuple(f.name for f in fields if isinstance(f, EncryptedTextField))
        hashes = tuple(f for f in fields if isinstance(f, PhoneHashField))
        if encrypted or hashes:
            found.append(Columns(model, encrypted, hashes))
    return sorted(found, key=lambda c: c.label)


def rotate_model(columns: Columns) -> int:
    """Rewrite every row of one model; the number of rows rewritten."""
    manager = columns.model._default_manager
    ids = list(manager.order_by("pk").values_list("pk", flat=True))
    reads = sorted({*columns.encrypted, *(f.source for f in columns.hashes)})
    done = 0
    for start in range(0, len(ids), BATCH):
        with transaction.atomic():
            rows = list(
                manager.select_for_update().filter(pk__in=ids[start : start + BATCH]).only("pk", *reads)
            )
            for row in rows:
                for field in columns.hashes:
                    field.pre_save(row, add=False)  # the hash under the current hash key
            # Saving an encrypted field encrypts with the newest key (MultiFernet's first).
            manager.bulk_update(rows, columns.written)
            done += len(rows)
    return done


def rotate_all() -> dict[str, int]:
    """Rewrite every model's rows; rows rewritten per model label."""
    return {columns.label: rotate_model(columns) for columns in personal_data_columns()}


__all__ = ["Columns", "personal_data_columns", "rotate_all", "rotate_model"]
