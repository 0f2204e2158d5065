"""Every token has an expiry now (0008 gave one to the old tokens); the revoked flag is replaced by
revoked_at."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0008_api_token_scope_expiry")]

    operations = [
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(verbose_name="expires at"),
        ),
        migrations.RemoveField(model_name="apitoken", name="revoked"),
    ]
