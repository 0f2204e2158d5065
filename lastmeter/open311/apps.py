from django.apps import AppConfig


class Open311Config(AppConfig):
    name = "lastmeter.open311"
    label = "open311"
