"""Schemathesis over /api/v1: requests generated from the API's own OpenAPI document (Django
Ninja's), sent through the WSGI application as several roles, each response checked — no 5xx,
and the status, content type and body as the document declares them.

Bounded here (a few examples per operation, so it runs in `make test`); bench/fuzz_api.py runs
the same with many more examples and writes bench/results/fuzz_api.json.
"""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings

from lastmeter.accounts.tokens import issue_token

# bench/fuzz_api.py raises the count and asks for a report (one JSON line per role).
EXAMPLES = int(os.environ.get("LASTMETER_FUZZ_EXAMPLES", "3"))
REPORT = os.environ.get("LASTMETER_FUZZ_REPORT")
# Who calls: the station's dispatcher (sees everything), grid A's officer, a department liaison.
ROLES = ("dispatcher", "grid_officer", "liaison")
# What is asserted: no 5xx, and every status, content type and body as the document declares.
# Not asserted: that every schema-valid request is accepted (Schemathesis's "positive data"
# check) — the document describes shapes, and a shape-valid request the services refuse (an
# unknown channel, a point outside every grid) gets a 400 with its reason, by design.
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


@pytest.fixture
def api_schema(db):
    # The WSGI handler closes the database connection when a request ends; in a test that would
    # close the test's transaction under it, so (as Django's test client does) not while fuzzing.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def fuzz(schema, headers: dict[str, str], examples: int) -> dict[str, str]:
    """Every operation of ``schema`` with ``examples`` generated requests; the failures by
    operation (the first failure's message)."""
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            suppress_health_check=list(HealthCheck),
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failure is reported
        )
        def call(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            call()
        except (Exception, BaseExceptionGroup) as exc:  # failed checks, reported by operation
            failures[operation.label] = str(exc)[:2000]
    return failures


@pytest.mark.parametrize("role", ROLES)
def test_the_api_answers_generated_requests_as_documented(role, api_schema, world, new_appeal):
    new_appeal()
    new_appeal(text="路边有人摆摊占道经营", category=world.department_category)
    token = issue_token(getattr(world, role), "fuzz")
    failures = fuzz(api_schema, {"Authorization": "Bearer " + token}, EXAMPLES)
    if REPORT:
        operations = sum(1 for _ in api_schema.get_all_operations())
        line = {"role": role, "operations": operations, "examples": EXAMPLES, "failures": failures}
        with open(REPORT, "a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    assert not failures, "\n\n".join(f"{op}:\n{msg}" for op, msg in failures.items())


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/appeals",
        "/api/v1/incidents",
        "/api/v1/complaints",
        "/api/v1/mediation/cases",
        "/api/v1/meetings",
        "/api/v1/counter/visits",
    ],
)
@pytest.mark.parametrize("offset", ["-5", str(10**24)])
def test_a_list_answers_an_offset_out_of_range_without_a_server_error(client, world, path, offset):
    # Found by the fuzzer: a negative offset (Django refuses negative slices) and one beyond the
    # database's integers (SQLite's OverflowError) were 500s.
    client.force_login(world.dispatcher.user)
    assert client.get(path, {"offset": offset}).status_code == 200
