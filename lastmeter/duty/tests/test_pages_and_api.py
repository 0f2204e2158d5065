"""The duty and campaign pages and API: a post set up on the page with a gap in the roster check,
a campaign refused on the page when it ends before it starts, the other community's officer and a
resident refused, the API's results and before/after figure, the command centre's panel."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from lastmeter.accounts.auth import issue_token
from lastmeter.accounts.models import DutyShift
from lastmeter.duty.models import Campaign, DutyPost
from lastmeter.testing.world import POINT_IN_A

pytestmark = pytest.mark.django_db


def _login(username: str) -> Client:
    client = Client(headers={"accept-language": "zh-hans"})
    assert client.login(username=username, password="pass-" + username)
    return client


def _api(person) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(person, 'test')}")


def test_it_sets_up_a_post_on_the_page_and_shows_its_gap(world):
    officer = _login("officer_a")
    response = officer.post(
        "/duty/posts/new/",
        {
            "name": "福州路菜场",
            "kind": "market",
            "community": world.community_a.pk,
            "lat": POINT_IN_A[0],
            "lon": POINT_IN_A[1],
            "radius_m": 150,
        },
    )
    post = DutyPost.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/duty/posts/{post.pk}/"
    officer.post(
        f"/duty/posts/{post.pk}/hours/",
        {"hours-agency": "urban_management", "hours-start_hour": 8, "hours-end_hour": 10},
    )
    assert list(post.hours.values_list("agency", "start_hour", "end_hour")) == [("urban_management", 8, 10)]
    page = officer.get("/duty/?day=" + timezone.localdate().isoformat()).content.decode()
    assert "福州路菜场" in page and "08:00、09:00" in page and "城管" in page
    # The other community's officer gets 404 for the post and may not add hours to it.
    other = _login("officer_b")
    assert other.get(f"/duty/posts/{post.pk}/").status_code == 404
    assert (
        other.post(
            f"/duty/posts/{post.pk}/hours/",
            {"hours-agency": "police", "hours-start_hour": 8, "hours-end_hour": 10},
        ).status_code
        == 404
    )
    assert post.hours.count() == 1
    # A building head (no community officer) has no duty pages at all.
    assert _login("head_a").get("/duty/").status_code == 404


def test_it_refuses_a_campaign_ending_before_it_starts_on_the_page(world):
    officer = _login("officer_a")
    data = {
        "name": "菜场占道整治",
        "target": "菜场门口占道经营",
        "community": world.community_a.pk,
        "category": world.department_category.pk,
        "lat": POINT_IN_A[0],
        "lon": POINT_IN_A[1],
        "radius_m": 200,
        "starts_on": "2026-05-11",
        "ends_on": "2026-05-01",
        "agencies": ["urban_management", "police"],
    }
    page = officer.post("/duty/campaigns/new/", data).content.decode()
    assert "专项行动不能在开始之前结束" in page and not Campaign.objects.exists()
    data["ends_on"] = "2026-05-20"
    assert officer.post("/duty/campaigns/new/", data).status_code == 302
    campaign = Campaign.objects.get()
    response = officer.post(
        f"/duty/campaigns/{campaign.pk}/result/",
        {"day": "2026-06-01", "cases_handled": 3, "penalties": 1, "appeals_resolved": 0},
        follow=True,
    )
    assert "不在专项行动期间" in response.content.decode() and not campaign.results.exists()
    assert _login("officer_b").get(f"/duty/campaigns/{campaign.pk}/").status_code == 404


def test_it_enters_results_and_reads_the_figure_through_the_api(world, new_appeal):
    officer = _api(world.grid_officer)
    body = {
        "name": "福州路违停整治",
        "community": world.community_a.pk,
        "target": "福州路违章停车",
        "category": "illegal_parking",
        "lat": POINT_IN_A[0],
        "lon": POINT_IN_A[1],
        "radius_m": 300,
        "starts_on": (timezone.localdate() - timedelta(days=2)).isoformat(),
        "ends_on": (timezone.localdate() + timedelta(days=7)).isoformat(),
        "agencies": ["traffic_police"],
    }
    response = officer.post("/api/v1/duty/campaigns", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    cid = response.json()["id"]
    new_appeal()  # today, at the campaign's point
    result = officer.put(
        f"/api/v1/duty/campaigns/{cid}/results",
        data=json.dumps({"day": timezone.localdate().isoformat(), "cases_handled": 7, "penalties": 3}),
        content_type="application/json",
    )
    assert result.status_code == 200 and result.json()["totals"]["cases_handled"] == 7
    late = officer.put(
        f"/api/v1/duty/campaigns/{cid}/results",
        data=json.dumps({"day": (timezone.localdate() + timedelta(days=30)).isoformat()}),
        content_type="application/json",
    )
    assert late.status_code == 400 and "不在专项行动期间" in late.json()["detail"]
    figure = officer.get(f"/api/v1/duty/campaigns/{cid}/before-after").json()
    assert (figure["days"], figure["before"], figure["during"], figure["change"]) == (3, 0, 1, None)
    # Community B's officer: 404 for the campaign; refused a campaign in community A.
    other = _api(world.other_officer)
    assert other.get(f"/api/v1/duty/campaigns/{cid}").status_code == 404
    refused = other.post("/api/v1/duty/campaigns", data=json.dumps(body), content_type="application/json")
    assert refused.status_code == 403


def test_it_shows_who_is_on_post_in_the_command_centre(world):
    post = DutyPost.objects.create(
        name="人民广场路口",
        kind="intersection",
        lat=POINT_IN_A[0],
        lon=POINT_IN_A[1],
        community=world.community_a,
    )
    now = timezone.now()
    shift = DutyShift.objects.create(
        person=world.grid_member,
        grid=world.grid_a,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=2),
    )
    post.assignments.create(shift=shift, agency="traffic_police")
    rows = _api(world.dispatcher).get("/api/v1/duty/on-post").json()
    assert [(r["post_name"], r["person"]) for r in rows] == [("人民广场路口", "辅警陈")]
    assert _api(world.other_officer).get("/api/v1/duty/on-post").json() == []
    page = _login("dispatcher").get("/command/").content.decode()
    assert 'id="on-post"' in page and "/api/v1/duty/on-post" in page
