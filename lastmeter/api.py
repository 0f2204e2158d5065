"""The /api/v1 NinjaAPI: routers of every app, and the mapping of service errors to HTTP."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, ValidationError

from lastmeter.appeals.api import public_router as tracking_router
from lastmeter.appeals.api import router as appeals_router
from lastmeter.grids.api import router as grids_router
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.lib.transitions import TransitionError

# Every operation can answer with these (the handlers below map service errors and refusals to
# them, whatever the operation declares): the document says so, so clients — and Schemathesis,
# which checks every response against it (web/tests/test_api_fuzz.py) — expect them.
ERROR_REPLIES = {
    "400": "refused input (the reason in detail)",
    "401": "authentication required",
    "403": "not allowed for this person",
    "404": "no such object, or not one this person may see",
    "409": "not possible in the object's current state",
    "422": "input that does not match this operation's parameters",
}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}, "errors": {"type": "array"}},
    "required": ["detail"],
}


class LastmeterAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                for parameter in operation.get("parameters", []):
                    # Ids in paths are never negative, and some routes use Django's int
                    # converter, which does not match a minus sign at all (Django's own 404).
                    if parameter.get("in") == "path" and parameter.get("schema", {}).get("type") == "integer":
                        parameter["schema"].setdefault("minimum", 0)
                replies = operation.setdefault("responses", {})
                for status, description in ERROR_REPLIES.items():
                    replies.setdefault(
                        status,
                        {
                            "description": description,
                            "content": {"application/json": {"schema": ERROR_SCHEMA}},
                        },
                    )
        return schema


# Swagger UI from the installed package (settings.INSTALLED_APPS has "ninja"), and no validator
# badge: Swagger UI would otherwise send the schema's address to validator.swagger.io.
api = LastmeterAPI(
    title="lastmeter API", version="1", urls_namespace="api", docs=Swagger(settings={"validatorUrl": None})
)
api.add_router("/", appeals_router)
api.add_router("/", tracking_router)
api.add_router("/", "lastmeter.intake.api.router")
api.add_router("/", "lastmeter.roads.api.router")
api.add_router("/", "lastmeter.dispatching.api.router")
api.add_router("/", grids_router)
api.add_router("/", "lastmeter.stats.hotspots_api.router")
api.add_router("/", "lastmeter.planning.api.router")
api.add_router("/", "lastmeter.stats.api.router")
api.add_router("/", "lastmeter.stats.community_api.router")
api.add_router("/", "lastmeter.broadcasts.api.router")
api.add_router("/", "lastmeter.complaints.api.router")
api.add_router("/", "lastmeter.mediation.api.router")
api.add_router("/", "lastmeter.meetings.api.router")
api.add_router("/", "lastmeter.duty.api.router")
api.add_router("/", "lastmeter.patrols.api.router")


@api.exception_handler(NotAllowed)
def _not_allowed(request: HttpRequest, exc: NotAllowed):
    return api.create_response(request, {"detail": str(exc)}, status=403)


@api.exception_handler(TransitionError)
def _transition(request: HttpRequest, exc: TransitionError):
    return api.create_response(request, {"detail": str(exc)}, status=409)


@api.exception_handler(ServiceError)
def _service_error(request: HttpRequest, exc: ServiceError):
    return api.create_response(request, {"detail": str(exc)}, status=400)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404):
    return api.create_response(request, {"detail": str(exc) or "not found"}, status=404)


@api.exception_handler(OverflowError)
def _overflow(request: HttpRequest, exc: OverflowError):
    # A number too large for the database's integers (an id of 10**30 in a filter): SQLite raises
    # OverflowError before the query runs. Refused as input instead of answered with a 500.
    return api.create_response(request, {"detail": "number out of range"}, status=400)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError):
    return api.create_response(request, {"detail": "invalid input", "errors": exc.errors}, status=422)


@api.exception_handler(AuthenticationError)
def _unauth(request: HttpRequest, exc: AuthenticationError):
    return api.create_response(request, {"detail": "authentication required"}, status=401)
