"""Reporters' names and phones encrypted at rest, with a keyed hash of the phone for lookups;
and the retention job's column. The existing rows are encrypted in between (three steps: the
columns become plain TEXT, the rows are rewritten, then the fields become encrypted ones)."""

import django.db.models
from django.db import migrations, models

import lastmeter.lib.fields
from lastmeter.lib.fields import encrypt_columns

appeal_forward, appeal_backward = encrypt_columns(
    "appeals", "Appeal", ["reporter_name", "reporter_phone"], {"reporter_phone_hash": "reporter_phone"}
)
subscription_forward, subscription_backward = encrypt_columns(
    "appeals", "Subscription", ["name", "phone"], {"phone_hash": "phone"}
)


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0007_transfer_open_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="appeal", name="reporter_name", field=models.TextField(blank=True, max_length=100)
        ),
        migrations.AlterField(
            model_name="appeal", name="reporter_phone", field=models.TextField(blank=True, max_length=40)
        ),
        migrations.AddField(
            model_name="appeal",
            name="reporter_phone_hash",
            field=lastmeter.lib.fields.PhoneHashField(db_index=True, source="reporter_phone"),
        ),
        migrations.AlterField(
            model_name="subscription", name="name", field=models.TextField(blank=True, max_length=100)
        ),
        migrations.AlterField(
            model_name="subscription", name="phone", field=models.TextField(blank=True, max_length=40)
        ),
        migrations.AddField(
            model_name="subscription",
            name="phone_hash",
            field=lastmeter.lib.fields.PhoneHashField(db_index=True, source="phone"),
        ),
        migrations.RunPython(appeal_forward, appeal_backward),
        migrations.RunPython(subscription_forward, subscription_backward),
        migrations.AlterField(
            model_name="appeal",
            name="reporter_name",
            field=lastmeter.lib.fields.EncryptedTextField(
                blank=True, max_length=100, verbose_name="reporter name"
            ),
        ),
        migrations.AlterField(
            model_name="appeal",
            name="reporter_phone",
            field=lastmeter.lib.fields.EncryptedTextField(
                blank=True, max_length=40, verbose_name="reporter phone"
            ),
        ),
        migrations.AlterField(
            model_name="subscription",
            name="name",
            field=lastmeter.lib.fields.EncryptedTextField(blank=True, max_length=100),
        ),
        migrations.AlterField(
            model_name="subscription",
            name="phone",
            field=lastmeter.lib.fields.EncryptedTextField(blank=True, max_length=40),
        ),
        migrations.AddField(
            model_name="appeal",
            name="personal_data_erased_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="personal data erased at"),
        ),
        migrations.AddIndex(
            model_name="appeal",
            index=models.Index(
                condition=django.db.models.Q(
                    ("personal_data_erased_at__isnull", True), ("state__in", ["closed", "merged"])
                ),
                fields=["state_changed_at"],
                name="appeal_retention_due",
            ),
        ),
    ]
