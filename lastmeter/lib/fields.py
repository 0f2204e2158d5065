"""Model fields for personal data at rest: an encrypted text and the keyed hash of a phone.

Why our own ~80 lines rather than a field library: the maintained one for Django 5.2,
django-fernet-encrypted-fields, derives its Fernet keys from ``SECRET_KEY`` (with PBKDF2 and a
salt setting), so rotating the key that signs sessions would also be a re-encryption of every
resident's number, and a leaked ``SECRET_KEY`` would open them; it has no keyed hash for lookups
either. The others (django-fernet-fields and its forks, django-encrypted-model-fields,
django-cryptography) are unmaintained or pinned to older Django. The cryptography itself is
``cryptography``'s Fernet/MultiFernet (lib/fieldcrypt.py); these fields only call it.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact, IsNull

from lastmeter.lib.fieldcrypt import decrypt, encrypt, phone_hash

MIGRATION_BATCH = 1000


class EmptyOnlyExact(Exact):
    """``field=""`` still works (is there a value at all?); any other value is refused loudly,
    since an encrypted column never equals a plaintext."""

    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            raise FieldError(
                f"{self.lhs.target.name} is encrypted: look it up by its hash column "
                "(lastmeter.lib.fieldcrypt.phone_hash), not by value"
            )
        return self.rhs


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token (a TEXT column), read back as the text.

    ``max_length`` bounds the plaintext in forms (the token is longer). Only ``isnull`` and
    ``=""`` lookups exist; ordering by it is meaningless. ``QuerySet.update`` encrypts too."""

    encrypted = True

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None:
            return None
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt(str(value))

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        # A name or a number is one line, as it was when the column was a CharField.
        if self.max_length:
            kwargs.setdefault("widget", forms.TextInput)
        return super().formfield(form_class=form_class, choices_form_class=choices_form_class, **kwargs)

    def get_lookup(self, lookup_name: str):
        if lookup_name == "exact":
            return EmptyOnlyExact
        if lookup_name == "isnull":
            return IsNull
        return None


class EmptyOnlyJSONExact(Exact):
    """``field={}`` (nothing stored) works; any other value is refused, as for the text field."""

    def get_prep_lookup(self):
        if self.rhs in ({}, "", None):
            return ""
        raise FieldError(
            f"{self.lhs.target.name} is encrypted: its keys cannot be filtered on; "
            "keep what must be looked up in a column of its own"
        )


class EncryptedJSONField(EncryptedTextField):
    """A JSON object stored as the Fernet token of its text, read back as the object.

    For small routing records that hold a phone number or an e-mail address (the outbox's
    recipient). An empty object is stored as ``""``, so ``field={}`` still finds "nothing
    stored" (and retention can empty one); no other lookup exists — ``recipient__phone=…``
    raises instead of quietly matching nothing. A subclass of ``EncryptedTextField`` so that
    ``lastmeter rotate-keys`` (lib/keyrotation.py) re-encrypts it with the others."""

    # What django-stubs' plugin types the attribute as (a TextField's would be str).
    _pyi_private_set_type: dict[str, Any]  # type: ignore[assignment]
    _pyi_private_get_type: dict[str, Any]  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", dict)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        if value == "":
            return {}
        return json.loads(decrypt(value))

    def to_python(self, value: Any) -> Any:
        # Forms and deserialisation (loaddata) hand over the JSON text.
        if isinstance(value, str):
            return json.loads(value) if value else {}
        return value

    def get_prep_value(self, value: Any) -> Any:
        value = models.Field.get_prep_value(self, value)
        if value is None:
            return None
        if value in ({}, ""):
            return ""
        return encrypt(json.dumps(value, ensure_ascii=False, sort_keys=True))

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj), ensure_ascii=False, sort_keys=True)

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        kwargs.setdefault("form_class", form_class or forms.JSONField)
        return models.Field.formfield(self, **kwargs)

    def get_lookup(self, lookup_name: str):
        if lookup_name == "exact":
            return EmptyOnlyJSONExact
        if lookup_name == "isnull":
            return IsNull
        return None

    def get_transform(self, lookup_name: str):
        return None  # no key transforms (recipient__phone): the keys are inside the token


class PhoneHashField(models.CharField):
    """The HMAC of the phone number held in the field named ``source`` (lib.fieldcrypt.phone_hash),
    set on every save (and ``bulk_create``). An indexed column: every lookup by phone filters it.

    A ``QuerySet.update`` of the source must set this column too (with ``phone_hash``)."""

    def __init__(self, *args: Any, source: str = "", **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key, default in (("max_length", 64), ("blank", True), ("editable", False), ("default", "")):
            if kwargs.get(key) == default:
                kwargs.pop(key)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = phone_hash(getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value


def _rewrite_json_rows(model: type[models.Model], name: str, forward: bool) -> None:
    """Encrypt (``forward``) or decrypt the JSON text column ``name`` of a migration's
    historical model, where the column is plain TEXT: ``{}`` and ``""`` both mean nothing."""
    batch: list[models.Model] = []
    for row in model._default_manager.only("pk", name).order_by("pk").iterator(chunk_size=MIGRATION_BATCH):
        text = getattr(row, name) or ""
        if forward:
            value = json.loads(text) if text else {}
            text = encrypt(json.dumps(value, ensure_ascii=False, sort_keys=True)) if value else ""
        else:
            text = decrypt(text) if text else "{}"
        setattr(row, name, text)
        batch.append(row)
        if len(batch) >= MIGRATION_BATCH:
            model._default_manager.bulk_update(batch, [name])
            batch = []
    if batch:
        model._default_manager.bulk_update(batch, [name])


def encrypt_json_column(app_label: str, model_name: str, name: str):
    """A ``migrations.RunPython`` pair that encrypts a JSON column's rows (once it is TEXT) and
    decrypts them back to JSON text when reversed."""

    def forward(apps, schema_editor) -> None:
        _rewrite_json_rows(apps.get_model(app_label, model_name), name, forward=True)

    def backward(apps, schema_editor) -> None:
        _rewrite_json_rows(apps.get_model(app_label, model_name), name, forward=False)

    return forward, backward


def _rewrite_rows(model: type[models.Model], texts: list[str], hashes: dict[str, str], forward: bool) -> None:
    """Encrypt (``forward``) or decrypt the ``texts`` columns of every row of a migration's
    historical model, whose fields are still plain text then; fill (or empty) the ``hashes``
    columns (hash column → the text column it hashes)."""
    columns = [*texts, *hashes]
    batch: list[models.Model] = []
    for row in model._default_manager.only("pk", *texts).order_by("pk").iterator(chunk_size=MIGRATION_BATCH):
        plain = {name: getattr(row, name) or "" for name in texts}
        if not forward:
            plain = {name: decrypt(value) for name, value in plain.items()}
        for hashed, source in hashes.items():
            setattr(row, hashed, phone_hash(plain[source]) if forward else "")
        for name, value in plain.items():
            setattr(row, name, encrypt(value) if forward else value)
        batch.append(row)
        if len(batch) >= MIGRATION_BATCH:
            model._default_manager.bulk_update(batch, columns)
            batch = []
    if batch:
        model._default_manager.bulk_update(batch, columns)


def encrypt_columns(app_label: str, model_name: str, texts: list[str], hashes: dict[str, str]):
    """A ``migrations.RunPython`` pair that encrypts existing rows (and computes their hashes),
    and decrypts them back when the migration is reversed."""

    def forward(apps, schema_editor) -> None:
        _rewrite_rows(apps.get_model(app_label, model_name), texts, hashes, forward=True)

    def backward(apps, schema_editor) -> None:
        _rewrite_rows(apps.get_model(app_label, model_name), texts, hashes, forward=False)

    return forward, backward


__all__ = [
    "EncryptedJSONField",
    "EncryptedTextField",
    "PhoneHashField",
    "encrypt_columns",
    "encrypt_json_column",
]
