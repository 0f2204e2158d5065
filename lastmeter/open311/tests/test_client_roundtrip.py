"""Round trip through a real Open311 client library from PyPI (georeport) against a live server."""

from __future__ import annotations

import pytest
from georeport import GeoReport

from lastmeter.appeals.services import NewAppeal, do_create_appeal
from lastmeter.open311.models import issue_key
from lastmeter.testing.world import POINT_IN_A, build_world


@pytest.fixture
def served(transactional_db, live_server):
    world = build_world()
    return world, f"{live_server.url}/open311/v2"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_it_round_trips_through_the_georeport_client(served, fmt):
    world, root = served
    key = issue_key("roundtrip")
    import requests

    created = requests.post(
        f"{root}/requests.json",
        data={
            "api_key": key,
            "service_code": "illegal_parking",
            "lat": str(POINT_IN_A[0]),
            "long": str(POINT_IN_A[1]),
            "description": "福州路口有车辆违停，挡住了公交站",
        },
        timeout=10,
    )
    assert created.status_code == 201, created.text
    request_id = created.json()[0]["service_request_id"]
    do_create_appeal(
        NewAppeal(channel="hotline", text="热线：九江路噪音扰民", category=world.police_category)
    )

    client = GeoReport(root, output_format=fmt)
    services = client.get_service_list()
    codes = {s["service_code"] for s in services}
    assert {"illegal_parking", "street_vending"} <= codes
    definition = client.get_service_definition("illegal_parking")
    assert definition["service_code"] == "illegal_parking"
    listed = client.get_service_requests(status="open")
    listed = listed if isinstance(listed, list) else [listed]
    assert request_id in {r["service_request_id"] for r in listed}
    one = client.get_service_request(request_id)
    assert one["service_request_id"] == request_id and one["status"] == "open"
    assert "违停" in one["description"]
