"""ASGI entry point: HTTP through Django, websockets through Channels.

Plain HTTP runs Django's WSGI handler in a pool of threads (a2wsgi) unless
LASTMETER_HTTP_INTERFACE=asgi: every view and middleware of lastmeter is synchronous, and Django's
ASGI handler would move each request between the event loop and worker threads several times
(settings.py says what that costs). The websockets, which are asynchronous, stay on Channels.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lastmeter.settings")

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()  # sets Django up, also when HTTP goes through WSGI

from django.conf import settings  # noqa: E402

from lastmeter.accounts.middleware import TwoFactorWebsocketGuard  # noqa: E402
from lastmeter.realtime.routing import websocket_urlpatterns  # noqa: E402


def _http_application():
    if settings.LASTMETER_HTTP_INTERFACE == "asgi":
        return django_asgi_app
    # a2wsgi rather than uvicorn's own WSGI adapter (deprecated) or a second server beside the
    # websocket one: one process keeps serving both, behind the same proxy rule.
    from a2wsgi import WSGIMiddleware
    from django.core.wsgi import get_wsgi_application

    return WSGIMiddleware(get_wsgi_application(), workers=settings.LASTMETER_HTTP_THREADS)


application = ProtocolTypeRouter(
    {
        "http": _http_application(),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(TwoFactorWebsocketGuard(URLRouter(websocket_urlpatterns)))
        ),
    }
)
