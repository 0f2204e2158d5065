"""Open311 GeoReport v2: every JSON answer validated against the Open311 project's JSON Schemas
(tests/schemas, see SOURCE.txt), XML answers parsed, errors in the spec's list form."""

from __future__ import annotations

import json
import re
from datetime import UTC, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from django.core.management import call_command
from django.utils import timezone
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from lastmeter.appeals.models import Appeal
from lastmeter.appeals.services import do_acknowledge
from lastmeter.open311.models import Open311Key, issue_key

SCHEMAS = Path(__file__).parent / "schemas"
BASE = "/open311/v2"
Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
pytestmark = pytest.mark.django_db


def _registry() -> Registry:
    resources = []
    for path in SCHEMAS.glob("*.json"):
        resources.append(
            (path.name, Resource.from_contents(json.loads(path.read_text()), default_specification=_spec()))
        )
    return Registry().with_resources(resources)


def _spec():
    from referencing.jsonschema import DRAFT202012

    return DRAFT202012


def validate(name: str, data) -> None:
    schema = json.loads((SCHEMAS / name).read_text())
    Draft202012Validator(schema, registry=_registry(), format_checker=FormatChecker()).validate(data)


def check_errors(response, status: int) -> None:
    assert response.status_code == status
    body = response.json()
    assert isinstance(body, list) and body[0]["code"] == status and body[0]["description"]


@pytest.fixture
def api_key(world):
    return issue_key("fixmystreet-test")


def post_request(client, key, **fields):
    data = {
        "api_key": key,
        "service_code": "illegal_parking",
        "lat": "31.2301",
        "long": "121.4702",
        "description": "人民广场东侧辅路长期有车辆违停，影响通行",
        "first_name": "Li",
        "email": "li@example.org",
        **fields,
    }
    return client.post(f"{BASE}/requests.json", data)


def test_it_publishes_discovery_in_json_and_xml(client, world):
    r = client.get(f"{BASE}/discovery.json")
    assert (
        r.status_code == 200
        and r.json()["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    )
    root = ET.fromstring(client.get(f"{BASE}/discovery.xml").content)
    assert root.tag == "discovery" and root.find("endpoints/endpoint/formats/format").text == "text/xml"


def test_it_lists_services_and_definitions_that_match_the_schemas(client, world):
    r = client.get(f"{BASE}/services.json")
    validate("services.json", r.json())
    assert {s["service_code"] for s in r.json()} >= {"illegal_parking", "street_vending"}
    root = ET.fromstring(client.get(f"{BASE}/services.xml").content)
    assert root.tag == "services" and root.find("service/service_code") is not None
    validate("service-definition.json", client.get(f"{BASE}/services/illegal_parking.json").json())
    check_errors(client.get(f"{BASE}/services/no_such_thing.json"), 404)
    assert client.get(f"{BASE}/services.yaml").status_code == 404


def test_it_creates_a_request_with_a_valid_key_and_refuses_without(client, world, api_key):
    check_errors(post_request(client, "wrong-key"), 403)
    check_errors(post_request(client, ""), 403)
    r = post_request(client, api_key)
    assert r.status_code == 201, r.content
    (row,) = r.json()
    appeal = Appeal.objects.get(reference=row["service_request_id"])
    assert appeal.channel == "open311" and appeal.category.code == "illegal_parking"
    assert appeal.grid == world.grid_a
    assert Open311Key.objects.get().last_used_at is not None
    assert "o311_" not in bytes(appeal.inbound_items.get().body).decode()  # the key is never stored


def test_it_makes_one_request_when_a_client_retries_the_same_post(client, world, api_key):
    first = post_request(client, api_key).json()[0]
    second = post_request(client, api_key).json()[0]
    assert Appeal.objects.count() == 1
    assert first["service_request_id"] == second.get("service_request_id", first["service_request_id"])


@pytest.mark.parametrize(
    "fields, words",
    [
        ({"lat": "91", "long": "121"}, "latitude"),
        ({"lat": "abc"}, "number"),
        ({"lat": "31.2", "long": ""}, "both"),
        ({"lat": "", "long": ""}, "location"),
        ({"service_code": "nope"}, "not found"),
        ({"description": ""}, "description"),
        ({"description": "x" * 4001}, "4000"),
    ],
)
def test_it_refuses_bad_requests_with_the_spec_error_list(client, world, api_key, fields, words):
    r = post_request(client, api_key, **fields)
    check_errors(r, 400)
    assert words in r.json()[0]["description"]
    assert Appeal.objects.count() == 0


def test_it_lists_requests_that_match_the_schema_with_utc_datetimes(client, world, api_key, new_appeal):
    post_request(client, api_key)
    new_appeal(text="私人电话 13912345678 家门口有人违停")
    data = client.get(f"{BASE}/requests.json").json()
    validate("requests.json", data)
    assert len(data) == 2
    for row in data:
        assert Z.match(row["requested_datetime"]) and Z.match(row["expected_datetime"])
    mine = next(r for r in data if r["description"])
    assert "违停" in mine["description"]
    web = next(r for r in data if r["description"] is None)  # a resident's web text stays private
    assert web["lat"] == round(web["lat"], 3)
    appeal = Appeal.objects.get(reference=mine["service_request_id"])
    land = appeal.clocks.get(kind="land")
    assert mine["expected_datetime"] == land.due_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_it_filters_requests_as_the_spec_says(client, world, api_key, new_appeal):
    a = new_appeal()
    b = new_appeal(category=world.department_category)
    get = lambda q: client.get(f"{BASE}/requests.json?{q}").json()  # noqa: E731
    assert {r["service_request_id"] for r in get(f"service_request_id={a.reference},{b.reference}")} == {
        a.reference,
        b.reference,
    }
    assert [r["service_request_id"] for r in get("service_code=street_vending")] == [b.reference]
    assert [r["service_request_id"] for r in get("status=open&service_code=illegal_parking")] == [a.reference]
    assert get("status=closed") == []
    old = (timezone.now() - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%SZ")
    older = (timezone.now() - timedelta(days=39)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert get(f"start_date={old}&end_date={older}") == []
    check_errors(
        client.get(f"{BASE}/requests.json?start_date=2020-01-01T00:00:00Z&end_date=2020-06-01T00:00:00Z"), 400
    )
    check_errors(client.get(f"{BASE}/requests.json?start_date=yesterday"), 400)
    check_errors(client.get(f"{BASE}/requests.json?status=pending"), 400)
    # A list of ids overrides every other parameter, and so their checks too.
    assert [r["service_request_id"] for r in get(f"service_request_id={a.reference}&status=pending")] == [
        a.reference
    ]
    bad = client.get(f"{BASE}/requests.json?start_date=2020-01-01T00:00:00Z&end_date=2019-01-01T00:00:00Z")
    check_errors(bad, 400)
    assert bad.json()[0]["description"] == "end_date is before start_date"  # the API's words, untranslated


def test_it_serves_one_request_at_both_spellings_and_in_xml(client, world, new_appeal):
    a = new_appeal()
    for path in (f"requests/{a.reference}", f"request/{a.reference}"):
        data = client.get(f"{BASE}/{path}.json").json()
        validate("requests.json", data)
        assert data[0]["service_request_id"] == a.reference
    root = ET.fromstring(client.get(f"{BASE}/requests/{a.reference}.xml").content)
    assert root.tag == "service_requests" and root.find("request/status").text == "open"
    check_errors(client.get(f"{BASE}/requests/LM00000000000000.json"), 404)


def test_it_answers_tokens(client, world, api_key):
    post_request(client, api_key)
    item = Appeal.objects.get().inbound_items.get()
    data = client.get(f"{BASE}/tokens/{item.token}.json").json()
    assert data[0]["service_request_id"] == item.appeal.reference and data[0]["token"] == item.token
    check_errors(client.get(f"{BASE}/tokens/nope.json"), 404)


def test_it_serves_mysociety_service_request_updates(client, world, new_appeal):
    a = new_appeal()
    do_acknowledge(world.scope(world.grid_officer), a.pk)
    data = client.get(f"{BASE}/servicerequestupdates.json").json()
    assert data[-1]["service_request_id"] == a.reference and data[-1]["status"] == "investigating"
    assert Z.match(data[-1]["updated_datetime"])
    root = ET.fromstring(client.get(f"{BASE}/servicerequestupdates.xml").content)
    assert root.tag == "service_request_updates" and root.find("request_update/update_id") is not None


def test_it_issues_keys_from_the_command_line(world, capsys):
    call_command("open311", "issue-key", "city-app")
    raw = capsys.readouterr().out.strip()
    assert raw.startswith("o311_") and Open311Key.objects.get(name="city-app").key_hash != raw
