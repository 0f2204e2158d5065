"""Websocket routes. Consumers are added by the command-centre work."""

from django.urls import path

from lastmeter.realtime.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws/live/", LiveConsumer.as_asgi()),
]
