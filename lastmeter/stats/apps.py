from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "lastmeter.stats"
    label = "stats"
