"""SMS subscribers' numbers encrypted at rest; one subscriber per number is now held by the
keyed hash (see appeals 0008 for the three steps)."""

from django.db import migrations, models

import lastmeter.lib.fields
from lastmeter.lib.fields import encrypt_columns

forward, backward = encrypt_columns("broadcasts", "SmsSubscriber", ["phone"], {"phone_hash": "phone"})


class Migration(migrations.Migration):
    dependencies = [
        ("broadcasts", "0002_saved_audiences_photo_pace"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="smssubscriber",
            options={
                "ordering": ["id"],
                "verbose_name": "SMS subscriber",
                "verbose_name_plural": "SMS subscribers",
            },
        ),
        migrations.AlterField(
            model_name="smssubscriber", name="phone", field=models.TextField(max_length=40)
        ),
        migrations.AddField(
            model_name="smssubscriber",
            name="phone_hash",
            # Not indexed yet: the unique constraint below brings its own index.
            field=lastmeter.lib.fields.PhoneHashField(source="phone"),
        ),
        migrations.RunPython(forward, backward),
        migrations.AlterField(
            model_name="smssubscriber",
            name="phone",
            field=lastmeter.lib.fields.EncryptedTextField(max_length=40, verbose_name="phone"),
        ),
        migrations.AlterField(
            model_name="smssubscriber",
            name="phone_hash",
            field=lastmeter.lib.fields.PhoneHashField(source="phone", unique=True),
        ),
    ]
