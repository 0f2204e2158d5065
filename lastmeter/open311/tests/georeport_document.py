"""The GeoReport v2 description the fuzzer works from: the Open311 project's own Swagger 2.0 file
(schemas/swagger.json, see SOURCE.txt), loaded as published and then amended where it disagrees
with the written specification (wiki.open311.org/GeoReport_v2) that clients are built against.

Each amendment below says what the written spec says; none of them loosens a check on what the
server answers except by the spec's own words (errors are a list of {code, description}; empty
fields are null, as the Open311 project's JSON Schemas in the same folder allow).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

SWAGGER = Path(__file__).parent / "schemas" / "swagger.json"
BASE_PATH = "/open311/v2"

# The written spec's error answer: a list of {code, description} (in XML, <errors><error>…).
ERRORS = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string", "minLength": 1}},
    },
}

# The written spec's POST arguments the published file leaves out (it lists only the location
# and the service code), each a form field.
POST_FIELDS = ("email", "device_id", "account_id", "first_name", "last_name", "phone", "description")


def _form(parameter: dict[str, Any]) -> dict[str, Any]:
    """A query parameter of the published POST as the form field the written spec makes it."""
    if parameter.get("in") != "query":
        return parameter
    moved = {**parameter, "in": "formData"}
    if moved.get("format") == "uid":  # not a JSON Schema format; a form field is plain text
        moved.pop("format")
    return moved


def _nullable(definition: dict[str, Any]) -> None:
    """Every optional field of a response object may be null (Swagger 2.0 spells it x-nullable)."""
    required = set(definition.get("required", []))
    for name, field in definition.get("properties", {}).items():
        if name not in required:
            field["x-nullable"] = True


def georeport_document() -> dict[str, Any]:
    """The published Swagger file with the amendments."""
    doc = json.loads(SWAGGER.read_text(encoding="utf-8"))
    # 1. The file has no basePath: a server mounts the API where it likes; ours is /open311/v2.
    doc["basePath"] = BASE_PATH
    # 2. The format suffix is json or xml (written spec: "format … json or xml").
    doc["parameters"]["response_format"]["enum"] = ["json", "xml"]
    doc["parameters"]["response_format"].pop("format", None)
    # 3. jurisdiction_id is required only of servers that host several jurisdictions (written
    #    spec: "This is only required if the endpoint serves multiple jurisdictions").
    doc["parameters"]["jurisdiction_id"]["required"] = False
    # 4. Optional fields of an answer are null when empty (the Open311 JSON Schemas: anyOf
    #    string/null; the written spec's examples carry null).
    for name in ("Service", "Request", "RequestResponse", "TokenResponse", "ServiceAttribute"):
        _nullable(doc["definitions"][name])

    paths = doc["paths"]
    post = paths["/requests.{response_format}"]["post"]
    # 5. The written spec POSTs the arguments form-encoded in the body (the file's own `consumes`
    #    says so) — the file puts them in the query string.
    post["consumes"] = ["application/x-www-form-urlencoded"]
    post["parameters"] = [_form(p) for p in post["parameters"]]
    post["parameters"] += [
        {"name": n, "in": "formData", "required": False, "type": "string"} for n in POST_FIELDS
    ]
    # The api_key is sent by the caller as a form field (the fuzz test adds it per role).
    post.pop("security", None)
    # 6. A created request is 201 Created; the file documents only 200.
    post["responses"]["201"] = post["responses"]["200"]
    # 7. The written spec's path for one request is /requests/{id}; the file has /request/{id}.
    #    Both are served.
    paths["/requests/{service_request_id}.{response_format}"] = copy.deepcopy(
        paths["/request/{service_request_id}.{response_format}"]
    )
    # 8. One request and a token are answered as a list of one (written spec: "a single
    #    service request in a list"), as every GeoReport client reads them.
    for path in (
        "/request/{service_request_id}.{response_format}",
        "/requests/{service_request_id}.{response_format}",
    ):
        paths[path]["get"]["responses"]["200"]["schema"] = {
            "type": "array",
            "items": {"$ref": "#/definitions/Request"},
        }
    paths["/tokens/{token_id}.{response_format}"]["get"]["responses"]["200"]["schema"] = {
        "type": "array",
        "items": {"$ref": "#/definitions/TokenResponse"},
    }
    # 9. Every operation may answer the written spec's errors: 400 (a bad argument), 403 (no
    #    valid api_key), 404 (an unknown id, service code, token or jurisdiction).
    for item in paths.values():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            for status, what in (
                ("400", "a bad argument"),
                ("403", "no valid api_key"),
                ("404", "not found"),
            ):
                responses[status] = {"description": what, "schema": ERRORS}
            responses.pop("401", None)  # the file's 401 for an unknown jurisdiction is 404 in the spec
    return doc


__all__ = ["BASE_PATH", "georeport_document"]
