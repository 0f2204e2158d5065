"""SMS deliveries no longer name the number in plain text: ``destination`` was ``sms:<number>``
(and the outbox key ended with it, and the sending pace's bucket was it). Now the destination
names the person or subscriber, the number is kept encrypted in ``phone`` with its keyed hash,
and the pace bucket is ``sms:<hash>``.

Existing rows: an SMS delivery becomes ``sms:row:<id>`` with its number moved into ``phone``
(a skipped duplicate, which was sent nothing, keeps no number); its outbox row's key and any
delivery receipt under that key are renamed the same way; SMS pace buckets are renamed to the
hash (two spellings of one number merge, keeping the later free slot). Reversed, the numbers go
back into the destinations and keys; SMS pace buckets are dropped (a hash cannot be undone, and a
bucket only spaces messages: it is re-created on the next send)."""

from django.db import migrations, models

import lastmeter.lib.fields
from lastmeter.lib.fieldcrypt import phone_hash

SMS = "sms:"
BATCH = 1000


def _rename_keys(apps, renames: dict[str, str]) -> None:
    """Rename outbox keys (and receipts under them) ``old → new``."""
    outbox = apps.get_model("appeals", "OutboxMessage")
    receipts = apps.get_model("appeals", "DeliveryReceipt")
    for old, new in renames.items():
        outbox.objects.filter(key=old).update(key=new)
        receipts.objects.filter(key=old).update(key=new)


def forward(apps, schema_editor) -> None:
    delivery_model = apps.get_model("broadcasts", "Delivery")
    rows = delivery_model.objects.filter(destination__startswith=SMS).select_related("outbox", "run")
    batch, renames = [], {}
    for row in rows.order_by("pk").iterator(chunk_size=BATCH):
        old = row.destination
        number = old[len(SMS) :]
        row.phone = "" if "#" in number else number
        row.phone_hash = phone_hash(row.phone)
        row.destination = f"sms:row:{row.pk}"
        if row.outbox is not None and old in row.outbox.key:
            renames[row.outbox.key] = row.outbox.key.replace(old, row.destination)
        batch.append(row)
        if len(batch) >= BATCH:
            delivery_model.objects.bulk_update(batch, ["destination", "phone", "phone_hash"])
            batch = []
    if batch:
        delivery_model.objects.bulk_update(batch, ["destination", "phone", "phone_hash"])
    _rename_keys(apps, renames)
    pace_model = apps.get_model("broadcasts", "ChannelPace")
    merged: dict[str, object] = {}
    for pace in pace_model.objects.filter(bucket__startswith=SMS).order_by("pk"):
        hashed = SMS + phone_hash(pace.bucket[len(SMS) :])
        kept = merged.get(hashed)
        if kept is None or pace.next_free_at > kept.next_free_at:
            merged[hashed] = pace
    pace_model.objects.filter(bucket__startswith=SMS).exclude(pk__in=[p.pk for p in merged.values()]).delete()
    for hashed, pace in merged.items():
        pace.bucket = hashed
        pace.save(update_fields=["bucket"])


def backward(apps, schema_editor) -> None:
    delivery_model = apps.get_model("broadcasts", "Delivery")
    renames = {}
    rows = delivery_model.objects.exclude(phone="").select_related("outbox")
    for row in rows.order_by("pk").iterator(chunk_size=BATCH):
        old, new = row.destination, f"{SMS}{row.phone}"
        if row.outbox is not None and old in row.outbox.key:
            renames[row.outbox.key] = row.outbox.key.replace(old, new)[:200]
        delivery_model.objects.filter(pk=row.pk).update(destination=new[:200])
    _rename_keys(apps, renames)
    apps.get_model("broadcasts", "ChannelPace").objects.filter(bucket__startswith=SMS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("broadcasts", "0003_personal_data_encrypted"),
        ("appeals", "0009_outbox_recipient_encrypted"),
    ]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="phone",
            field=lastmeter.lib.fields.EncryptedTextField(blank=True, max_length=40, verbose_name="phone"),
        ),
        migrations.AddField(
            model_name="delivery",
            name="phone_hash",
            field=lastmeter.lib.fields.PhoneHashField(db_index=True, source="phone"),
        ),
        migrations.RunPython(forward, backward),
        migrations.AddConstraint(
            model_name="delivery",
            constraint=models.UniqueConstraint(
                condition=models.Q(("phone_hash", ""), _negated=True),
                fields=("run", "phone_hash"),
                name="unique_run_phone",
            ),
        ),
    ]
