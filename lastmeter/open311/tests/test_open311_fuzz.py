"""Schemathesis over /open311/v2: requests generated from the Open311 project's GeoReport v2
Swagger file (amended where it disagrees with the written spec: georeport_document.py), sent
through the WSGI application as each caller Open311 knows — anonymous, a client with a valid
api_key, a client whose key was revoked — and every answer checked: no 5xx, and the status,
content type and JSON body as the document declares them.

Bounded here (a few examples per operation, so it runs in `make test`); bench/fuzz_api.py runs
it with many more examples next to the /api/v1 run.
"""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings

from lastmeter.accounts.selectors import scope_for
from lastmeter.appeals.models import Appeal
from lastmeter.appeals.services import do_close
from lastmeter.intake.models import InboundItem
from lastmeter.open311.models import Open311Key, issue_key
from lastmeter.open311.tests.georeport_document import georeport_document
from lastmeter.testing.world import POINT_IN_A

EXAMPLES = int(os.environ.get("LASTMETER_FUZZ_EXAMPLES", "3"))
REPORT = os.environ.get("LASTMETER_FUZZ_REPORT")
ROLES = ("anonymous", "api_key", "revoked_key")
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
# One acceptable service request, sent before the generated ones.
GOOD_REQUEST = {
    "service_code": "illegal_parking",
    "lat": str(POINT_IN_A[0]),
    "long": str(POINT_IN_A[1]),
    "description": "九江路口一辆白色轿车违停在公交站台前，公交车进不了站",
}


@pytest.fixture
def georeport_schema(db):
    # As in web/tests/test_api_fuzz.py: the WSGI handler would close the test's connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_dict(georeport_document())
        schema.app = get_wsgi_application()
        yield schema
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def api_key_of(role: str) -> str:
    if role == "anonymous":
        return ""
    raw = issue_key(f"fuzz-{role}")
    if role == "revoked_key":
        Open311Key.objects.filter(name=f"fuzz-{role}").update(active=False)
    return raw


def fuzz(schema, api_key: str, examples: int) -> dict[str, str]:
    """Every operation of ``schema`` with ``examples`` generated requests, the caller's api_key
    added to every POST; the failures by operation (the first failure's message)."""
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            suppress_health_check=list(HealthCheck),
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
        )
        def call(case):
            if case.method == "POST" and api_key:
                body = case.body if isinstance(case.body, dict) else {}
                case.body = {**body, "api_key": api_key}
            case.call_and_validate(checks=CHECKS)

        try:
            if operation.method.upper() == "POST":
                # One well-formed request first, so the write path is reached whatever is generated.
                body = {**GOOD_REQUEST, **({"api_key": api_key} if api_key else {})}
                good = operation.Case(
                    path_parameters={"response_format": "json"},
                    body=body,
                    media_type="application/x-www-form-urlencoded",
                )
                good.call_and_validate(checks=CHECKS)
            call()
        except (Exception, BaseExceptionGroup) as exc:  # failed checks, reported by operation
            failures[operation.label] = str(exc)[:2000]
    return failures


@pytest.mark.parametrize("role", ROLES)
def test_open311_answers_generated_requests_as_documented(role, georeport_schema, world, new_appeal):
    new_appeal()  # a chat/web appeal: its text stays private, its place is rounded
    closed = new_appeal(channel="open311", text="人民广场路灯不亮", category=world.police_category)
    do_close(scope_for(world.dispatcher), closed.pk, reason="已修复")
    failures = fuzz(georeport_schema, api_key_of(role), EXAMPLES)
    if REPORT:
        operations = sum(1 for _ in georeport_schema.get_all_operations())
        line = {
            "api": "open311",
            "role": role,
            "operations": operations,
            "examples": EXAMPLES,
            "failures": failures,
        }
        with open(REPORT, "a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    assert not failures, "\n\n".join(f"{op}:\n{msg}" for op, msg in failures.items())
    if role == "api_key":  # the explicit example reached the write path and was stored
        assert InboundItem.objects.filter(channel="open311").exists()
        assert Appeal.objects.filter(channel="open311").count() > 1, list(
            InboundItem.objects.values_list("decision", "decision_reason")
        )
    else:  # without a valid key nothing is written
        assert Appeal.objects.filter(channel="open311").count() == 1


# --- the defects the fuzzer found, each pinned -------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/open311/v2/requests/%C2%AF%0C%60.json",  # an id outside [-\w]
        "/open311/v2/services/%2B.xml",
        "/open311/v2/tokens/a%2Fb.json",  # a slash inside the id
        "/open311/v2/no/such/endpoint.json",
    ],
)
def test_an_odd_id_or_path_gets_the_spec_error_list_not_the_sites_html_page(client, world, path):
    r = client.get(path)
    assert r.status_code == 404
    assert r["Content-Type"].startswith("text/xml" if path.endswith(".xml") else "application/json")
    if path.endswith(".json"):
        assert r.json()[0]["code"] == 404 and r.json()[0]["description"]


@pytest.mark.parametrize(
    "query",
    [
        {"service_request_id": "v\x00c"},
        {"service_code": "a\x00"},
        {"status": "open\x00"},
    ],
)
def test_a_nul_character_is_a_400_not_a_database_error(client, world, query):
    r = client.get("/open311/v2/requests.json", query)
    assert r.status_code == 400 and "NUL" in r.json()[0]["description"]
    assert client.get("/open311/v2/requests/ab%00c.json").status_code == 400


def test_a_far_offset_is_read_in_utc_and_a_far_year_refused(client, world, new_appeal):
    new_appeal()
    # -23:46 is a valid W3C offset that PostgreSQL cannot store: the time is turned to UTC first.
    r = client.get(
        "/open311/v2/requests.json", {"end_date": timezone.now().strftime("%Y-%m-%dT%H:%M:%S-23:46")}
    )
    assert r.status_code == 200 and len(r.json()) == 1
    for field, far in (
        ("start_date", "0686-01-09T17:06:36+18:17"),
        ("start_date", "9232-03-14T08:00:19.595-23:46"),
        ("end_date", "0001-01-05T00:00:00Z"),  # its window would start before year 1
        ("end_date", "9999-12-31T23:00:00-23:00"),  # past year 9999 in UTC
    ):
        r = client.get("/open311/v2/requests.json", {field: far})
        assert r.status_code == 400 and "between the years" in r.json()[0]["description"]
