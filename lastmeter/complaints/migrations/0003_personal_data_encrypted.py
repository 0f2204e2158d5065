"""Complainants' names and phones encrypted at rest, with a keyed hash of the phone (see
appeals 0008 for the three steps)."""

from django.db import migrations, models

import lastmeter.lib.fields
from lastmeter.lib.fields import encrypt_columns

forward, backward = encrypt_columns(
    "complaints",
    "Complaint",
    ["complainant_name", "complainant_phone"],
    {"complainant_phone_hash": "complainant_phone"},
)


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0002_field_verbose_names"),
    ]

    operations = [
        migrations.AlterField(
            model_name="complaint", name="complainant_name", field=models.TextField(max_length=100)
        ),
        migrations.AlterField(
            model_name="complaint",
            name="complainant_phone",
            field=models.TextField(blank=True, max_length=40),
        ),
        migrations.AddField(
            model_name="complaint",
            name="complainant_phone_hash",
            field=lastmeter.lib.fields.PhoneHashField(db_index=True, source="complainant_phone"),
        ),
        migrations.RunPython(forward, backward),
        migrations.AlterField(
            model_name="complaint",
            name="complainant_name",
            field=lastmeter.lib.fields.EncryptedTextField(max_length=100, verbose_name="complainant"),
        ),
        migrations.AlterField(
            model_name="complaint",
            name="complainant_phone",
            field=lastmeter.lib.fields.EncryptedTextField(
                blank=True, max_length=40, verbose_name="complainant's phone"
            ),
        ),
    ]
