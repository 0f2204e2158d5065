from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "lastmeter.triage"
    label = "triage"
