"""API tokens get a scope, an expiry and a revocation time (instead of a flag).

Existing tokens keep what they could do (scope "write") and expire LASTMETER_TOKEN_DAYS after this
migration runs, so no device stops working on the day of the upgrade; revoked ones keep being
revoked (revoked_at = the migration's time, the moment of the revocation being unknown). Their
hashes are kept as they are: they were already SHA-256 of the token.
"""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def forwards(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    now = timezone.now()
    expiry = now + timedelta(days=getattr(settings, "LASTMETER_TOKEN_DAYS", 90))
    ApiToken.objects.filter(expires_at__isnull=True).update(expires_at=expiry)
    ApiToken.objects.filter(revoked=True, revoked_at__isnull=True).update(revoked_at=now)


def backwards(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    ApiToken.objects.filter(revoked_at__isnull=False).update(revoked=True)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_field_verbose_names")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="prefix",
            field=models.CharField(blank=True, editable=False, max_length=12, verbose_name="starts with"),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="scope",
            field=models.CharField(
                choices=[
                    ("read", "Read only"),
                    ("write", "Read and write"),
                    ("positions", "Report positions only"),
                ],
                default="write",
                max_length=20,
                verbose_name="scope",
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True, verbose_name="expires at"),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="revoked_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="revoked at"),
        ),
        migrations.RunPython(forwards, backwards),
        # The column becomes required, and the flag goes, in 0008: PostgreSQL refuses to alter a
        # table in the transaction that just updated its rows ("pending trigger events").
    ]
