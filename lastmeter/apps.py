from django.apps import AppConfig


class LastmeterConfig(AppConfig):
    """The project package as an app: it holds no models, only the top floor's management commands
    (the worker loop and the demo compose the apps, so no app may hold them)."""

    name = "lastmeter"
    label = "lastmeter"
    verbose_name = "lastmeter"
