"""The demo's duty posts and a joint campaign in the Fuzhou Road community: a rush-hour
intersection with hours drafted from the demo's appeals and set by hand, a traffic shift on it; a
school gate whose hours nobody covers today (the roster check shows it); a market; and a street
vending campaign at the market, under way for ten days with its daily results. Invented for the
demo, written through the same services the pages use."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from lastmeter.accounts.models import DutyShift, OrgUnit, Person
from lastmeter.accounts.selectors import scope_for
from lastmeter.appeals.models import Category
from lastmeter.demo.categories import DEMO_CATEGORY_CODES
from lastmeter.dispatching.models import Unit
from lastmeter.duty import services
from lastmeter.duty.services import NewCampaign
from lastmeter.grids.models import Grid

COMMUNITY = "fuzhou-rd"
OFFICER = "officer5"
# name, kind, (lat, lon), hand-set windows (agency, from, to)
POSTS = [
    (
        "福州路山东中路口",
        "intersection",
        (31.2349, 121.4806),
        [("traffic_police", 7, 9), ("traffic_police", 17, 19)],
    ),
    ("格致中学门口", "school", (31.2362, 121.4790), [("police", 7, 8), ("police", 15, 17)]),
    ("福州路菜场", "market", (31.2340, 121.4820), [("urban_management", 6, 10)]),
]


def load_duty_demo() -> None:
    community = OrgUnit.objects.get(code=COMMUNITY)
    officer = Person.objects.get(user__username=OFFICER)
    scope = scope_for(officer)
    today = timezone.localdate()
    posts = []
    for name, kind, (lat, lon), windows in POSTS:
        post = services.do_create_post(scope, name=name, kind=kind, lat=lat, lon=lon, community=community)
        services.do_draft_hours(scope, post.pk, since=timezone.now() - timedelta(days=365))
        for agency, start, end in windows:
            services.do_set_hours(scope, post.pk, agency=agency, start_hour=start, end_hour=end)
        posts.append(post)

    # The intersection's morning rush today: a traffic motorbike crew; the evening is still open,
    # and nobody stands at the school gate yet — the roster check lists both.
    grid = Grid.objects.filter(community=community).order_by("code").first()
    bike = Unit.objects.filter(code="T-202").select_related("person").first()
    if grid is not None and bike is not None and bike.person is not None:
        morning = DutyShift.objects.create(
            person=bike.person,
            grid=grid,
            starts_at=timezone.make_aware(datetime.combine(today, time(6, 45))),
            ends_at=timezone.make_aware(datetime.combine(today, time(9, 15))),
        )
        services.do_assign_shift(scope, posts[0].pk, shift=morning, agency="traffic_police", unit=bike)
    # The officer's own long shift (demo.communities: now ± 12 h) is spent at the market.
    own = DutyShift.objects.filter(person=officer).order_by("starts_at").first()
    if own is not None:
        services.do_assign_shift(scope, posts[2].pk, shift=own, agency="police")

    vending = Category.objects.filter(code=DEMO_CATEGORY_CODES["street_vending"]).first()
    campaign = services.do_create_campaign(
        scope,
        NewCampaign(
            name="福州路菜场占道经营专项整治",
            community=community,
            target="菜场门口及人行道占道经营",
            category=vending,
            lat=POSTS[2][2][0],
            lon=POSTS[2][2][1],
            radius_m=400,
            starts_on=today - timedelta(days=10),
            ends_on=today + timedelta(days=20),
            agencies=["urban_management", "police"],
            units=list(Unit.objects.filter(code__in=["U-101", "U-102", "P-201"])),
        ),
    )
    services.do_move_campaign(scope, campaign.pk, "active")
    for n in range(10):
        # Fewer stalls every day as the campaign bites (invented figures).
        services.do_enter_result(
            scope,
            campaign.pk,
            day=today - timedelta(days=10 - n),
            cases_handled=max(1, 12 - n),
            penalties=max(0, 4 - n // 2),
            appeals_resolved=1 + n % 3,
            note="联合巡查，劝离流动摊贩" if n % 2 == 0 else "",
        )
