"""Parties' names and phones encrypted at rest, with a keyed hash of the phone (see appeals 0008
for the three steps)."""

from django.db import migrations, models

import lastmeter.lib.fields
from lastmeter.lib.fields import encrypt_columns

forward, backward = encrypt_columns("mediation", "Party", ["name", "phone"], {"phone_hash": "phone"})


class Migration(migrations.Migration):
    dependencies = [
        ("mediation", "0002_field_verbose_names"),
    ]

    operations = [
        migrations.AlterField(model_name="party", name="name", field=models.TextField(max_length=100)),
        migrations.AlterField(
            model_name="party", name="phone", field=models.TextField(blank=True, max_length=40)
        ),
        migrations.AddField(
            model_name="party",
            name="phone_hash",
            field=lastmeter.lib.fields.PhoneHashField(db_index=True, source="phone"),
        ),
        migrations.RunPython(forward, backward),
        migrations.AlterField(
            model_name="party",
            name="name",
            field=lastmeter.lib.fields.EncryptedTextField(max_length=100, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="party",
            name="phone",
            field=lastmeter.lib.fields.EncryptedTextField(blank=True, max_length=40, verbose_name="phone"),
        ),
    ]
