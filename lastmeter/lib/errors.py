"""Errors every app's services raise, with a message fit for the person who caused them.

They live here, not in one domain app, so that dispatching, planning or intake can refuse an
action without importing the appeals domain. Pages and the API map them to HTTP codes: a
``ServiceError`` is 400/409, a ``NotAllowed`` is 403.
"""


class ServiceError(Exception):
    """Bad input or a refused action, with a message fit for the user (HTTP 400/409)."""


class NotAllowed(ServiceError):
    """The actor may not do this to this object (HTTP 403)."""


__all__ = ["NotAllowed", "ServiceError"]
