from django.apps import AppConfig


class RoadsConfig(AppConfig):
    name = "lastmeter.roads"
    label = "roads"
