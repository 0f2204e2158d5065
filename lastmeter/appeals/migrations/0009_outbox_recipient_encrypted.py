"""The outbox's recipient (a phone number, an e-mail address, a chat's ids) encrypted at rest.
Three steps as in 0008: the JSON column becomes plain TEXT (its JSON text), each row's text is
encrypted (``{}`` becomes ``""``), then the field becomes the encrypted one; reversing decrypts
the rows back to JSON text before the column is JSON again."""

from django.db import migrations, models

import lastmeter.lib.fields
from lastmeter.lib.fields import encrypt_json_column

forward, backward = encrypt_json_column("appeals", "OutboxMessage", "recipient")


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0008_personal_data_encrypted"),
    ]

    operations = [
        migrations.AlterField(
            model_name="outboxmessage",
            name="recipient",
            field=models.TextField(default="{}", verbose_name="recipient"),
        ),
        migrations.RunPython(forward, backward),
        migrations.AlterField(
            model_name="outboxmessage",
            name="recipient",
            field=lastmeter.lib.fields.EncryptedJSONField(default=dict, verbose_name="recipient"),
        ),
    ]
