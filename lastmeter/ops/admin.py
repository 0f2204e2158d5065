"""The admin shows no page of the task engine's tables (procrastinate registers some on PostgreSQL).

Its pages are English-only, and staff need none of them: what a job was for is on our own rows —
an outbox message's attempts and its reason for failing, an inbound item's retries — which have
their pages in Chinese; operations read the engine's queue on /readyz and /metrics, or with
`lastmeter procrastinate shell` (its `list_jobs`).
"""

from django.apps import apps
from django.contrib import admin

if apps.is_installed("procrastinate.contrib.django"):
    for model in apps.get_app_config("procrastinate").get_models():
        if admin.site.is_registered(model):
            admin.site.unregister(model)
