from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "lastmeter.realtime"
    label = "realtime"
