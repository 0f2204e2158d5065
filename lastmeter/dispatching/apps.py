from django.apps import AppConfig


class DispatchingConfig(AppConfig):
    name = "lastmeter.dispatching"
    label = "dispatching"
