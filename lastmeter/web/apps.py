from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "lastmeter.web"
    label = "web"
