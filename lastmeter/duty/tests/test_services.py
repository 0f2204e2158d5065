"""Duty posts drafted from accidents by hour, the roster check, who is on post, and campaigns:
their refusals and the before/after figure on a hand-computed fixture."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from lastmeter.accounts.models import DutyShift
from lastmeter.accounts.selectors import scope_for
from lastmeter.appeals.models import Appeal, Category
from lastmeter.dispatching.models import Unit
from lastmeter.duty import selectors, services
from lastmeter.duty.algorithms.hours import busy_windows, uncovered_hours
from lastmeter.duty.services import NewCampaign
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.planning.models import AccidentRecord
from lastmeter.testing.world import POINT_IN_A

pytestmark = pytest.mark.django_db


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.get_current_timezone())


def test_it_finds_busy_windows_and_uncovered_hours_by_hand():
    counts = [0.0] * 24
    counts[7], counts[8], counts[9], counts[17], counts[18] = 3, 6, 4, 5, 1
    # peak 6 → threshold 3: 7–9 o'clock and 17 o'clock; 18 o'clock (1) is quiet.
    assert busy_windows(counts) == [(7, 10), (17, 18)]
    assert busy_windows([0.0] * 24) == []
    assert uncovered_hours((7, 10), [(7.0, 8.5), (8.5, 9.0)]) == [9]
    assert uncovered_hours((7, 10), [(6.0, 10.0)]) == []


@pytest.fixture
def post(world):
    return services.do_create_post(
        world.scope(world.grid_officer),
        name="福州路–山东中路口",
        kind="intersection",
        lat=POINT_IN_A[0],
        lon=POINT_IN_A[1],
        community=world.community_a,
    )


def test_it_drafts_a_posts_hours_from_accidents_by_hour(world, post, new_appeal):
    day = timezone.localdate() - timedelta(days=10)
    # Accidents near the post: 3 at 8 o'clock, 2 at 7, 2 at 9, 1 at 14; 5 far away at 8 o'clock.
    hours = [8, 8, 8, 7, 7, 9, 9, 14]
    for n, hour in enumerate(hours):
        AccidentRecord.objects.create(
            source="test",
            external_id=f"a{n}",
            lat=POINT_IN_A[0] + 0.0002,
            lon=POINT_IN_A[1],
            occurred_at=local(day, hour, 10),
        )
    for n in range(5):
        AccidentRecord.objects.create(
            source="test",
            external_id=f"far{n}",
            lat=POINT_IN_A[0] + 0.05,
            lon=POINT_IN_A[1],
            occurred_at=local(day, 8),
        )
    # Street vending at 6 o'clock twice (urban management's category), a congestion appeal at 8.
    congestion = Category.objects.create(code="pol.traffic.congestion", name="交通拥堵")
    for n, (hour, category) in enumerate(
        [(6, world.department_category), (6, world.department_category), (8, congestion)]
    ):
        appeal = new_appeal(text=f"第{n}号 路口问题", reporter_phone=f"1391111{n:04d}", category=category)
        Appeal.objects.filter(pk=appeal.pk).update(created_at=local(day, hour, 20))
    made = services.do_draft_hours(
        world.scope(world.grid_officer), post.pk, since=local(day, 0) - timedelta(days=1)
    )
    # Traffic police: 3 accidents and a congestion appeal at 8 → peak 4, threshold max(2, 2) = 2:
    # 7, 8 and 9 o'clock; 14 o'clock (1) is not staffed. Urban management: 2 at 6 o'clock.
    assert [(h.agency, h.start_hour, h.end_hour, h.source) for h in made] == [
        ("traffic_police", 7, 10, "drafted"),
        ("urban_management", 6, 7, "drafted"),
    ]
    assert "共 8 起" in made[0].basis  # 7 accidents and the congestion appeal in 7–9 o'clock
    # Drafting again replaces the drafted window rather than adding a second one.
    services.do_draft_hours(world.scope(world.grid_officer), post.pk, since=local(day, 0) - timedelta(days=1))
    assert post.hours.count() == 2


def test_it_shows_an_uncovered_post_in_the_roster_check(world, post):
    officer = world.scope(world.grid_officer)
    services.do_set_hours(officer, post.pk, agency="traffic_police", start_hour=7, end_hour=10)
    services.do_set_hours(officer, post.pk, agency="police", start_hour=17, end_hour=19)
    school = services.do_create_post(
        officer,
        name="格致中学门口",
        kind="school",
        lat=POINT_IN_A[0],
        lon=POINT_IN_A[1] + 0.001,
        community=world.community_a,
    )
    services.do_set_hours(officer, school.pk, agency="police", start_hour=7, end_hour=8)
    day = timezone.localdate() + timedelta(days=1)
    shift = DutyShift.objects.create(
        person=world.grid_member, grid=world.grid_a, starts_at=local(day, 6, 30), ends_at=local(day, 9)
    )
    services.do_assign_shift(officer, post.pk, shift=shift, agency="traffic_police")
    evening = DutyShift.objects.create(
        person=world.grid_officer, grid=world.grid_a, starts_at=local(day, 17), ends_at=local(day, 19)
    )
    services.do_assign_shift(officer, post.pk, shift=evening, agency="police")
    # A police shift at the school gate — but assigned as traffic police, so it covers nothing there.
    other = DutyShift.objects.create(
        person=world.grid_officer, grid=world.grid_a, starts_at=local(day, 7), ends_at=local(day, 8)
    )
    services.do_assign_shift(officer, school.pk, shift=other, agency="traffic_police")

    gaps = {(g.post.name, g.agency): g.hours for g in selectors.roster_gaps(officer, day)}
    assert gaps == {("福州路–山东中路口", "traffic_police"): [9], ("格致中学门口", "police"): [7]}
    # Community B's officer sees no post of community A, so no gaps either.
    assert selectors.roster_gaps(world.scope(world.other_officer), day) == []


def test_it_shows_who_is_on_post_now(world, post):
    officer = world.scope(world.grid_officer)
    now = timezone.now()
    unit = Unit.objects.create(code="T-01", name="交警一组", agency="traffic_police", unit_type="motorbike")
    shift = DutyShift.objects.create(
        person=world.grid_member,
        grid=world.grid_a,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    services.do_assign_shift(officer, post.pk, shift=shift, agency="traffic_police", unit=unit)
    later = DutyShift.objects.create(
        person=world.grid_officer,
        grid=world.grid_a,
        starts_at=now + timedelta(hours=2),
        ends_at=now + timedelta(hours=3),
    )
    services.do_assign_shift(officer, post.pk, shift=later, agency="police")
    rows = list(selectors.on_post_now(world.scope(world.dispatcher)))
    assert [(r.shift.person.name, r.unit.code) for r in rows] == [("辅警陈", "T-01")]
    assert list(selectors.on_post_now(world.scope(world.other_officer))) == []
    with pytest.raises(ServiceError, match="不属于该部门"):
        services.do_assign_shift(officer, post.pk, shift=later, agency="police", unit=unit)


def test_it_refuses_posts_to_another_community_and_to_residents(world, post):
    with pytest.raises(NotAllowed):
        services.do_create_post(
            world.scope(world.other_officer),
            name="x",
            kind="market",
            lat=POINT_IN_A[0],
            lon=POINT_IN_A[1],
            community=world.community_a,
        )
    with pytest.raises(Http404):
        services.do_set_hours(
            world.scope(world.other_officer), post.pk, agency="police", start_hour=7, end_hour=9
        )
    with pytest.raises(NotAllowed):
        services.do_create_post(
            scope_for(None),
            name="x",
            kind="market",
            lat=POINT_IN_A[0],
            lon=POINT_IN_A[1],
            community=world.community_a,
        )
    # A building head sees nothing here and may plan nothing.
    with pytest.raises(Http404):
        services.do_set_hours(
            world.scope(world.building_head), post.pk, agency="police", start_hour=7, end_hour=9
        )
    with pytest.raises(ServiceError, match="结束晚于开始"):
        services.do_set_hours(
            world.scope(world.grid_officer), post.pk, agency="police", start_hour=9, end_hour=7
        )


def _campaign(world, **kw) -> NewCampaign:
    data = dict(
        name="福州路违停整治",
        community=world.community_a,
        target="福州路违章停车",
        category=world.police_category,
        lat=POINT_IN_A[0],
        lon=POINT_IN_A[1],
        radius_m=300,
        starts_on=date(2026, 5, 11),
        ends_on=date(2026, 5, 20),
        agencies=["traffic_police", "urban_management"],
    )
    data.update(kw)
    return NewCampaign(**data)


def test_it_refuses_bad_campaigns_and_results(world):
    officer = world.scope(world.grid_officer)
    with pytest.raises(ServiceError, match="不能在开始之前结束"):
        services.do_create_campaign(officer, _campaign(world, ends_on=date(2026, 5, 1)))
    with pytest.raises(NotAllowed):
        services.do_create_campaign(world.scope(world.other_officer), _campaign(world))
    with pytest.raises(NotAllowed):
        services.do_create_campaign(scope_for(None), _campaign(world))
    with pytest.raises(NotAllowed):
        services.do_create_campaign(world.scope(world.grid_member), _campaign(world))
    campaign = services.do_create_campaign(officer, _campaign(world))
    with pytest.raises(ServiceError, match="不在专项行动期间"):
        services.do_enter_result(
            officer, campaign.pk, day=date(2026, 5, 21), cases_handled=1, penalties=0, appeals_resolved=0
        )
    with pytest.raises(Http404):
        services.do_enter_result(
            world.scope(world.other_officer),
            campaign.pk,
            day=date(2026, 5, 12),
            cases_handled=1,
            penalties=0,
            appeals_resolved=0,
        )
    services.do_enter_result(
        officer, campaign.pk, day=date(2026, 5, 12), cases_handled=4, penalties=2, appeals_resolved=1
    )
    services.do_enter_result(
        officer, campaign.pk, day=date(2026, 5, 12), cases_handled=5, penalties=2, appeals_resolved=1
    )
    assert selectors.campaign_totals(campaign) == {"cases_handled": 5, "penalties": 2, "appeals_resolved": 1}
    services.do_move_campaign(officer, campaign.pk, "active")
    services.do_move_campaign(officer, campaign.pk, "closed")
    with pytest.raises(ServiceError, match="不再接受"):
        services.do_enter_result(
            officer, campaign.pk, day=date(2026, 5, 13), cases_handled=1, penalties=0, appeals_resolved=0
        )


def test_it_compares_appeals_before_and_during_a_campaign(world, new_appeal):
    officer = world.scope(world.grid_officer)
    campaign = services.do_create_campaign(officer, _campaign(world))  # 11–20 May: 10 days
    near = (POINT_IN_A[0] + 0.001, POINT_IN_A[1])  # about 110 m away: inside the 300 m circle
    far = (POINT_IN_A[0] + 0.01, POINT_IN_A[1])  # about 1.1 km away
    # (day, where, category): before = 1–10 May, during = 11–20 May.
    rows = [
        (date(2026, 5, 1), near, world.police_category),  # before
        (date(2026, 5, 5), near, world.police_category),  # before
        (date(2026, 5, 10), near, world.police_category),  # before
        (date(2026, 5, 10), near, world.police_category),  # before
        (date(2026, 4, 30), near, world.police_category),  # too early: not counted
        (date(2026, 5, 6), far, world.police_category),  # outside the area
        (date(2026, 5, 7), near, world.department_category),  # another category
        (date(2026, 5, 11), near, world.police_category),  # during
        (date(2026, 5, 20), near, world.police_category),  # during
        (date(2026, 5, 21), near, world.police_category),  # after: not counted
    ]
    for n, (day, (lat, lon), category) in enumerate(rows):
        # Distinct texts, so that the duplicate finder merges none of them.
        appeal = new_appeal(
            lat=lat,
            lon=lon,
            category=category,
            text=f"第{n}号 车辆乱停 {day}",
            reporter_phone=f"1391234{n:04d}",
        )
        Appeal.objects.filter(pk=appeal.pk).update(created_at=local(day, 12))
    figure = selectors.before_after(officer, campaign, today=date(2026, 6, 1))
    assert (figure.days, figure.before_start, figure.before_end) == (10, date(2026, 5, 1), date(2026, 5, 10))
    assert (figure.before, figure.during) == (4, 2)
    assert figure.change == pytest.approx(-0.5)
    # Half-way through (15 May: 5 days), the comparison is with 6–10 May: 2 before, 1 during.
    half = selectors.before_after(officer, campaign, today=date(2026, 5, 15))
    assert (half.days, half.before, half.during) == (5, 2, 1)
    # A polygon instead of a circle: the box around the near point only.
    box = {
        "type": "Polygon",
        "coordinates": [
            [
                [121.469, 31.2305],
                [121.471, 31.2305],
                [121.471, 31.2315],
                [121.469, 31.2315],
                [121.469, 31.2305],
            ]
        ],
    }
    polygon = services.do_create_campaign(
        officer, _campaign(world, lat=None, lon=None, radius_m=None, area=box)
    )
    assert selectors.before_after(officer, polygon, today=date(2026, 6, 1)).before == 4
