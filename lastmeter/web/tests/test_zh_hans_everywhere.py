"""Chinese throughout: every page, as each role, in zh-Hans, shows no English UI text.

The pages are not listed by hand: every URL pattern of the project is enumerated through Django's
resolver (so a page another change adds is checked as soon as it exists), filled in with objects
of a small world (an appeal in several states, a transfer, an intake item, a grid plan, units, an
incident with its command group, an SOS, platforms on a road network) and fetched by each role:
resident (no account), dispatcher, leader, grid officer, grid member, building head, department
liaison, legal reviewer and administrator. What the page shows (lastmeter.testing.visible_text: text, shown
attributes, the strings handed to its scripts) must hold no run of English words.

A URL pattern whose parameter has no value here fails the test: give it one in ``values`` or,
if it is no page, add it to ``NOT_PAGES`` with the reason.
"""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.views.defaults import server_error

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import DutyShift, Person, RoleAssignment
from lastmeter.appeals import services as appeal_services
from lastmeter.appeals.models import Subscription, Transfer
from lastmeter.appeals.notify.reporter import follow_token
from lastmeter.appeals.transfers import do_transfer
from lastmeter.broadcasts import alerts as bc_alerts
from lastmeter.broadcasts import services as bc_services
from lastmeter.complaints import services as complaint_services
from lastmeter.dispatching.models import Assignment, CommandGroup, GroupMessage, Incident, SosAlarm, Unit
from lastmeter.duty import services as duty_services
from lastmeter.intake.models import InboundItem
from lastmeter.mediation import services as mediation_services
from lastmeter.meetings import services as meeting_services
from lastmeter.patrols import services as patrol_services
from lastmeter.patrols.models import PatrolTeam, TeamMember
from lastmeter.patrols.tests.conftest import seed_evening_cluster
from lastmeter.planning.models import GridPlan
from lastmeter.planning.platforms import do_save_platform
from lastmeter.planning.services import PlanParams, do_create_plan, do_preview_plan
from lastmeter.planning.tests.planning_helpers import make_blocks
from lastmeter.roads.algorithms.network import RoadNetwork
from lastmeter.roads.services import use_network
from lastmeter.testing.roads import comb, latlon
from lastmeter.testing.urlwalk import Page, page_urls, walk_patterns
from lastmeter.testing.visible_text import english_in_page, english_runs, external_resources, visible_texts
from lastmeter.testing.world import POINT_IN_A, POINT_IN_B

# URL patterns that are not pages a person reads, by name prefix or path prefix, and why.
NOT_PAGES: dict[str, str] = {
    "api/": "the JSON API; its Swagger page is the library's and is checked for being offline instead",
    "open311/": "GeoReport v2 XML/JSON for machines, field names fixed by the standard",
    "intake:hook": "chat platforms' webhooks",
    "set_language": "POST only: switches the language and redirects",
    "logout": "POST only: logs out and redirects",
    "web:command_kpis": "JSON for the command centre's script",
    "web:phone_manifest": "web-app manifest (JSON)",
    "appeals:media": "a resident's photo (the image file itself), served only to staff who may see the appeal",
    "web:phone_sw": "the phone page's service worker (JavaScript)",
    "admin:logout": "POST only",
    "admin:autocomplete": "JSON for the admin's select boxes",
    "admin:jsi18n": "the admin's JavaScript catalogue (Django's own)",
    "admin:view_on_site": "a redirect to the object's page",
    "admin:*_delete": "an action (delete) behind a confirmation, not a page of its own",
    # The admin's index and app pages are checked here for every role; each model's list, add,
    # change and history pages as the administrator in test_it_shows_the_admin_in_chinese (the
    # other roles are sent to the login page).
    "admin:*_changelist": "checked as the administrator in test_it_shows_the_admin_in_chinese",
    "admin:*_add": "checked as the administrator in test_it_shows_the_admin_in_chinese",
    "admin:*_change": "checked as the administrator in test_it_shows_the_admin_in_chinese",
    "admin:*_history": "checked as the administrator in test_it_shows_the_admin_in_chinese",
    "admin:auth_user_password_change": "Django's own form",
    "ops:healthz": "liveness probe (plain text for machines)",
    "ops:readyz": "readiness probe (JSON for machines)",
    "ops:metrics": "Prometheus metrics (text format for machines)",
    "broadcasts:act": "POST only: an action on a broadcast, then a redirect",
    "broadcasts:alert_act": "POST only: an action on an alert, then a redirect",
    "broadcasts:alert_photo": "the alert's photo (the image file itself)",
    "broadcasts:alert_cap": "CAP 1.2 XML for other alerting systems, field values fixed by the standard",
    "broadcasts:alerts_feed": "Atom XML for other alerting systems",
    "broadcasts:sms_inbound": "the SMS gateway's webhook (POST, JSON)",
    "duty:post_act": "POST only: an action on a duty post, then a redirect",
    "duty:campaign_result": "POST only: a day's campaign results, then a redirect",
    "duty:campaign_move": "POST only: a campaign's state change, then a redirect",
    "patrols:plan_state": "POST only: a patrol plan's state, then a redirect",
    "patrols:assign": "POST only: assigns a team, then a redirect",
    "patrols:check": "POST only: a check-in from the phone, then a redirect",
    "patrols:sighting": "POST only: a sighting from the phone, then a redirect",
    "patrols:task_done": "POST only: a network task done, then a redirect",
    "patrols:add_member": "POST only: adds a team member, then a redirect",
    "patrols:update_member": "POST only: a member's skills and availability, then a redirect",
    "patrols:remove_member": "POST only: removes a team member, then a redirect",
}

ADMIN_USERNAME = "admin"


def _not_a_page(page: Page) -> bool:
    for key in NOT_PAGES:
        if key.endswith("/") and page.route.startswith(key):
            return True
        if "*" in key:
            head, tail = key.split("*")
            if page.name.startswith(head) and page.name.endswith(tail):
                return True
        elif page.name == key:
            return True
    # Unnamed admin patterns are redirects to a named one (object → change form, catch-all).
    return not page.name and page.route.startswith("admin/")


def _urls(page: Page, values: dict[str, list]) -> list[str]:
    return page_urls(
        page, values, hint="add one to `values` in this test or list the URL in NOT_PAGES with the reason"
    )


def _admin(world) -> Person:
    user = get_user_model().objects.create_superuser(ADMIN_USERNAME, password="pass-" + ADMIN_USERNAME)
    person = Person.objects.create(name="系统管理员", user=user)
    RoleAssignment.objects.create(person=person, role=Role.ADMINISTRATOR, org_unit=world.station)
    return person


def broadcasts_for_the_walk(world) -> tuple[int, int, str]:
    """A sent broadcast with its report, and an active alert with a sighting."""
    officer = world.scope(world.grid_officer)
    audience = bc_services.do_create_audience(
        officer,
        bc_services.AudienceSpec(
            "福州路", [world.community_a], [], [], [], grid_members=True, building_heads=True
        ),
    )
    broadcast = bc_services.do_create_broadcast(
        officer,
        bc_services.Draft(
            title="晚高峰提醒", template="{road}车多", audience=audience, variables={"road": "福州路"}
        ),
    )
    bc_services.do_submit(officer, broadcast.pk)
    alert = bc_alerts.do_create_alert(
        officer,
        bc_alerts.AlertDraft(
            "lost_child",
            "寻找走失儿童",
            "男孩，6岁，红色上衣。",
            timezone.now(),
            "福州路",
            POINT_IN_A[0],
            POINT_IN_A[1],
            300,
        ),
    )
    bc_alerts.do_submit_alert(officer, alert.pk)
    bc_alerts.do_approve_alert(world.scope(world.leader), alert.pk)
    bc_alerts.do_record_sighting(alert, channel="sms", sender="138****0000", text="我看到了，在福州路口")
    return broadcast.pk, alert.pk, alert.public_token


def saved_audience_for_the_walk(world) -> int:
    """A saved audience of grid A's officer, for its edit page."""
    spec = bc_services.AudienceSpec("福州路楼组长", [], [world.grid_a], [], [], building_heads=True)
    return bc_services.do_save_audience(world.scope(world.grid_officer), spec).pk


@pytest.fixture
def town(world, new_appeal, settings, tmp_path):
    """The world with something on every page; yields the values of the URL parameters."""
    settings.MEDIA_ROOT = tmp_path
    settings.LASTMETER_DEMO_SIMULATION = False
    _admin(world)
    officer, dispatcher = world.scope(world.grid_officer), world.scope(world.dispatcher)
    received = new_appeal()
    contacted = new_appeal(text="楼下夜里有人聚集喧哗")
    appeal_services.do_acknowledge(officer, contacted.pk)
    appeal_services.do_contact(officer, contacted.pk, note="已电话联系")
    transferred = new_appeal(text="路边有人摆摊占道经营", category=world.department_category)
    if transferred.state != "transferred":
        do_transfer(dispatcher, transferred.pk, department=world.department, note="城管职责")
    resolved = new_appeal(text="小区门口的路灯坏了")
    appeal_services.do_acknowledge(officer, resolved.pk)
    appeal_services.do_contact(officer, resolved.pk)
    appeal_services.do_land(officer, resolved.pk, lat=POINT_IN_A[0], lon=POINT_IN_A[1])
    appeal_services.do_resolve(officer, resolved.pk, resolution="已修复")
    appeals = [received, contacted, transferred, resolved]

    client = Client()
    client.post(
        reverse("intake:report"),
        {
            "nonce": "zh-1",
            "text": "小区门口有人乱停车，挡住了消防通道",
            "lat": str(POINT_IN_A[0]),
            "lon": str(POINT_IN_A[1]),
            "name": "刘女士",
            "phone": "13912345678",
        },
    )
    items = list(InboundItem.objects.order_by("pk"))

    car = Unit.objects.create(
        code="P-01",
        name="巡逻车1",
        agency="police",
        unit_type="patrol_car",
        person=world.grid_officer,
        lat=POINT_IN_A[0],
        lon=POINT_IN_A[1],
        position_at=timezone.now(),
        status="dispatched",
    )
    Unit.objects.create(code="U-01", name="城管车", agency="urban_management", unit_type="enforcement_van")
    incident = Incident.objects.create(
        title="路口斗殴", lat=POINT_IN_B[0], lon=POINT_IN_B[1], status="dispatched", address="福州路"
    )
    Assignment.objects.create(incident=incident, unit=car, eta_s=180)
    group = CommandGroup.objects.create(incident=incident, name="路口斗殴指挥群")
    GroupMessage.objects.create(group=group, author=world.dispatcher, text="请尽快到场")
    alarm = SosAlarm.objects.create(person=world.grid_officer, unit=car, lat=POINT_IN_A[0], lon=POINT_IN_A[1])

    for (r, c), unit in make_blocks().items():
        unit.name = f"街区{r}-{c}"
        unit.save(update_fields=["name"])
    plan = do_create_plan(PlanParams(name="春季调整", k=2, method="exact"), world.leader)
    do_preview_plan(plan.pk)
    draft = do_create_plan(PlanParams(name="草案", k=2), world.leader)

    complaints = _complaints(world)
    cases = _mediation_cases(world)
    meeting_ids, visit_ids = _meetings(world)
    duty_post, campaign = _duty(world)

    with use_network(RoadNetwork(comb(), warm=False)):
        for code, name, x in (("pt-1", "西平台", 0), ("pt-2", "东平台", 4000)):
            lat, lon = latlon(x + 3.0, -4.0)
            do_save_platform(code=code, name=name, lat=lat, lon=lon)
        broadcast_id, alert_id, alert_token = broadcasts_for_the_walk(world)
        patrol_plan = _patrol_plan(world)
        yield {
            "appeal_id": [a.pk for a in appeals],
            "token": [a.tracking_token for a in appeals] + [alert_token],
            "broadcast_id": [broadcast_id],
            "alert_id": [alert_id],
            "audience_id": [saved_audience_for_the_walk(world)],
            "signed": [follow_token(Subscription.objects.create(appeal=appeals[0], phone="13600002222"))],
            "item_id": [i.pk for i in items],
            "plan_id": [
                plan.pk,
                draft.pk,
                *GridPlan.objects.exclude(pk__in=[plan.pk, draft.pk]).values_list("pk", flat=True),
            ],
            "app_label": sorted({m._meta.app_label for m in admin.site._registry}),
            "action": ["acknowledge"],
            # Objects pages to come may name (a transfer's page, an incident's, a person's …).
            "transfer_id": list(Transfer.objects.values_list("pk", flat=True)),
            "incident_id": [incident.pk],
            "unit_id": [car.pk],
            "group_id": [group.pk],
            "alarm_id": [alarm.pk],
            "person_id": [world.grid_officer.pk, world.liaison.pk],
            "grid_id": [world.grid_a.pk, world.grid_b.pk],
            "department_id": [world.department.pk],
            "level": ["leadership", "community", "grid", "department"],  # stats:report
            "complaint_id": [c.pk for c in complaints],
            "ctoken": [c.tracking_token for c in complaints],
            "round": [1],
            "evidence_id": [e.pk for c in complaints for e in c.evidence.all()] or [1],
            "case_id": [c.pk for c in cases],
            "meeting_id": meeting_ids,
            "visit_id": visit_ids,
            "step": ["serve"],
            "post_id": [duty_post.pk],
            "campaign_id": [campaign.pk],
            "patrol_plan_id": [patrol_plan.pk],
            "shift_id": list(patrol_plan.shifts.values_list("pk", flat=True)),
            "team_id": list(PatrolTeam.objects.values_list("pk", flat=True)),
            "member_id": list(TeamMember.objects.values_list("pk", flat=True)),
            # The dashboards (stats): a community's; grids and departments are named above.
            "community_id": [world.community_a.pk, world.community_b.pk],
        }


def _patrol_plan(world):
    """A published evening patrol plan of community A, with the building head's team on shift."""
    team = PatrolTeam.objects.create(
        name="福州路楼组长队", kind="building_heads", community=world.community_a
    )
    TeamMember.objects.create(team=team, person=world.building_head, skills="熟悉楼栋")
    seed_evening_cluster(timezone.now())
    req = patrol_services.PlanRequest(
        community=world.community_a, day=timezone.localdate(), band="evening", cell_m=100
    )
    plan = patrol_services.do_generate_plan(world.scope(world.grid_officer), req)
    patrol_services.do_move_plan(world.scope(world.grid_officer), plan.pk, "published")
    patrol_services.do_assign_task(world.scope(world.grid_officer), world.building_head, title="排查楼道堆物")
    return plan


def _complaints(world):
    """A complaint just received and one decided (evidence, letter), about grid A's officer."""
    new = complaint_services.NewComplaint(
        channel="statement_line",
        subject_kind="ticket",
        ticket_number="沪A0001234567",
        text="临时停车卸货被贴罚单，请求撤销。",
        complainant_name="钱先生",
        complainant_phone="13912340000",
        officer=world.grid_officer,
    )
    received = complaint_services.do_file_complaint(new, actor=world.dispatcher)
    decided = complaint_services.do_file_complaint(new, actor=world.dispatcher)
    leader, legal = world.scope(world.leader), world.scope(world.legal_reviewer)
    complaint_services.do_assign(leader, decided.pk, reviewer=world.legal_reviewer)
    complaint_services.do_add_evidence(
        legal, decided.pk, kind="officer_statement", description="当事民警陈述"
    )
    complaint_services.do_decide(legal, decided.pk, kind="revoke", reasons="现场有卸货标志，撤销罚单。")
    return [received, decided]


def _meetings(world):
    """A meeting held with a decision and its action item, one just planned; a counter visit."""
    officer = world.scope(world.grid_officer)
    held = meeting_services.do_schedule_meeting(
        officer, community=world.community_a, title="警民议事会", held_at=timezone.now(), place="社区活动室"
    )
    meeting_services.do_add_attendee(officer, held.pk, name="居民代表刘", kind="resident_rep")
    meeting_services.do_record_minutes(officer, held.pk, minutes="讨论门口违停")
    meeting_services.do_decide(
        officer,
        held.pk,
        meeting_services.NewDecision(None, "加装隔离桩", "门口加装隔离桩", world.liaison, 10),
    )
    planned = meeting_services.do_schedule_meeting(
        officer, community=world.community_a, title="下次议事会", held_at=timezone.now(), place="社区活动室"
    )
    visit = meeting_services.do_log_arrival(
        officer, community=world.community_a, kind="certificate", matter="开证明"
    )
    meeting_services.do_serve(officer, visit.pk)
    return [held.pk, planned.pk], [visit.pk]


def _duty(world):
    """A school-gate post with drafted-by-hand hours and a shift on it now, and a campaign with a
    day's results."""
    officer = world.scope(world.grid_officer)
    post = duty_services.do_create_post(
        officer,
        name="格致中学门口",
        kind="school",
        lat=POINT_IN_A[0],
        lon=POINT_IN_A[1],
        community=world.community_a,
    )
    duty_services.do_set_hours(officer, post.pk, agency="police", start_hour=7, end_hour=9)
    now = timezone.now()
    shift = DutyShift.objects.create(
        person=world.grid_member,
        grid=world.grid_a,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    duty_services.do_assign_shift(officer, post.pk, shift=shift, agency="police")
    campaign = duty_services.do_create_campaign(
        officer,
        duty_services.NewCampaign(
            name="福州路违停整治",
            community=world.community_a,
            target="福州路违章停车",
            category=world.police_category,
            lat=POINT_IN_A[0],
            lon=POINT_IN_A[1],
            radius_m=300,
            starts_on=timezone.localdate() - timedelta(days=3),
            ends_on=timezone.localdate() + timedelta(days=3),
            agencies=["traffic_police", "urban_management"],
        ),
    )
    duty_services.do_enter_result(
        officer,
        campaign.pk,
        day=timezone.localdate(),
        cases_handled=5,
        penalties=2,
        appeals_resolved=1,
        note="劝离3处",
    )
    return post, campaign


def _mediation_cases(world):
    """A noise case just opened and one agreed (sessions, both confirmations, follow-ups)."""
    officer = world.scope(world.grid_officer)
    new = mediation_services.NewCase(
        dispute_type="noise",
        summary="楼上夜间装修噪音",
        mediator=world.grid_officer,
        mediator_kind="community_police",
        community=world.community_a,
        parties=[
            mediation_services.NewParty("刘女士", "applicant", "13912345678"),
            mediation_services.NewParty("马先生", "respondent", "13811112222"),
        ],
    )
    opened = mediation_services.do_open_case(officer, new)
    agreed = mediation_services.do_open_case(officer, new)
    for party in agreed.parties.all():
        mediation_services.do_record_consent(officer, agreed.pk, party_id=party.pk, how="签字")
    mediation_services.do_record_session(
        officer, agreed.pk, held_at=timezone.now(), place="调解室", attendees="双方", notes="陈述"
    )
    mediation_services.do_draft_agreement(officer, agreed.pk, text="夜间停工", terms="18时后停工")
    for party in agreed.parties.all():
        mediation_services.do_confirm(officer, agreed.pk, party_id=party.pk, how="签字")
    mediation_services.do_conclude(officer, agreed.pk)
    return [opened, agreed]


ROLES = {
    "resident": None,
    "dispatcher": "dispatcher",
    "leader": "leader",
    "grid officer": "officer_a",
    "grid member": "member_a",
    "building head": "head_a",
    "department liaison": "liaison",
    "legal reviewer": "legal",
    "administrator": ADMIN_USERNAME,
}


def _client(username: str | None) -> Client:
    client = Client(headers={"accept-language": "zh-hans"})
    if username:
        assert client.login(username=username, password="pass-" + username)
    return client


# Pages no pattern names with these parameters: a missing page and appeal (404), the service-area
# page with a blockade (exit: node 1001 of the comb road network) and a proposed platform.
EXTRA_URLS = [
    "/no-such-page/",
    "/appeals/999999/",
    "/planning/service-areas/?exits=1001&add_k=1",
    # The dashboards refusing bad input, and the appeals behind one of their figures.
    "/stats/leadership/?from=2024-03-31&to=2024-03-01",
    "/stats/grid/999999/",
    "/appeals/?received_from=2024-03-01&received_to=2024-03-31&breached=1",
]


def test_it_shows_every_page_to_every_role_in_chinese(town):
    pages = [p for p in walk_patterns() if not _not_a_page(p)]
    urls = [u for p in pages for u in _urls(p, town)] + EXTRA_URLS
    english: dict[str, set[str]] = {}
    cdn: dict[str, set[str]] = {}
    with use_network(RoadNetwork(comb(), warm=False)):
        for role, username in ROLES.items():
            client = _client(username)
            for url in urls:
                response = client.get(url)
                if response.status_code in (301, 302, 405) or "html" not in response.get("Content-Type", ""):
                    continue
                html, where = response.content.decode(), f"{url} [{role} {response.status_code}]"
                for run in english_in_page(html, ignore=(username or "@",)):
                    english.setdefault(run, set()).add(where)
                for resource in external_resources(html):
                    cdn.setdefault(resource, set()).add(where)
    report = "\n".join(f"{run!r}: {', '.join(sorted(where)[:3])}" for run, where in sorted(english.items()))
    assert not english, f"English on the pages ({len(english)} runs):\n{report}"
    assert not cdn, f"Pages load files from other hosts: {cdn}"
    assert len(urls) > 30  # the walk found the pages (not an empty resolver)


class _AdminLabels(HTMLParser):
    """The words an admin page labels things with: page and section titles, column headers, filter
    titles, form labels, help texts and buttons — all made from the models' and fields' verbose
    names and the admin's own strings. The rows' values (codes, names, stored JSON, what an
    object's ``__str__`` says) are data and are left out."""

    LABEL_TAGS = frozenset({"h1", "h2", "h3", "label", "caption", "legend", "summary"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.labels: list[str] = []
        self._open: list[tuple[str, list[str]]] = []  # label elements being read, with their text
        self._thead = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "thead":
            self._thead += 1
        # A change page's and a history page's <h2> without a class is the object's own name (data).
        heading = tag in self.LABEL_TAGS and not (tag == "h2" and not a.get("class"))
        if heading or (tag == "th" and self._thead) or "help" in a.get("class", "").split():
            self._open.append((tag, []))
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.labels.append(a["value"])
        if tag == "button" or (tag == "a" and "button" in a.get("class", "")):
            self._open.append((tag, []))

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._thead -= 1
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                self.labels.append(" ".join("".join(self._open[i][1]).split()))
                del self._open[i]
                break

    def handle_data(self, data: str) -> None:
        for _tag, text in self._open:
            text.append(data)


def admin_labels(html: str) -> list[str]:
    parser = _AdminLabels()
    parser.feed(html)
    return [t for t in parser.labels if t]


# Words Django's own zh-Hans admin strings keep in Latin letters (the keys "Control" and "Command"
# on a Mac, LDAP), and the literal syntax of a value a help text shows ("channel:<渠道>").
ADMIN_LATIN = ("Control", "Command", "Mac", "LDAP", "channel:")


def test_it_shows_the_admin_in_chinese(town):
    """The administrator's view of every model registered in the admin — its list (columns and
    filters), add form, an object's change form (fields, inlines) and history — is labelled in
    Chinese: the models' and fields' verbose names and Django's own admin strings."""
    client = _client(ADMIN_USERNAME)
    english: dict[str, set[str]] = {}
    read: set[str] = set()
    # (url, the object's own name, which a change or history page's title shows: data, not a label)
    pages: list[tuple[str, str]] = [(reverse("admin:index"), "")]
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages += [(reverse(f"{prefix}_changelist"), ""), (reverse(f"{prefix}_add"), "")]
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            pages += [
                (reverse(f"{prefix}_change", args=[first.pk]), str(first)),
                (reverse(f"{prefix}_history", args=[first.pk]), str(first)),
            ]
    for url, name in pages:
        response = client.get(url)
        if response.status_code == 403:  # an admin that allows no adding or changing by hand
            continue
        assert response.status_code == 200, (url, response.status_code)
        read.add(url.split("/")[2] if url.count("/") > 2 else "index")
        for label in admin_labels(response.content.decode()):
            for word in (*ADMIN_LATIN, name):
                label = label.replace(word, " ") if word else label
            for run in english_runs(label):
                english.setdefault(run, set()).add(url)
    report = "\n".join(f"{run!r}: {', '.join(sorted(where)[:3])}" for run, where in sorted(english.items()))
    assert not english, f"English labels in the admin ({len(english)} runs):\n{report}"
    # The index and every app's pages were read (not an empty registry).
    assert read >= {"index", *{m._meta.app_label for m in admin.site._registry}}


def test_it_reads_an_admin_pages_labels_not_its_data():
    page = (
        '<h1>选择 人员 来修改</h1><h2>leader</h2><h2 class="inline-heading">角色</h2><table><thead><tr><th scope="col"><a href="?o=1">Badge</a></th></tr></thead>'
        '<tbody><tr><th class="field-name"><a href="/x/">dispatcher</a></th><td>fuzhou</td></tr></tbody></table>'
        '<label for="id_a">Status changed at:</label><div class="help">Shown to residents</div>'
        '<textarea name="data">{"type": "Polygon"}</textarea><input type="submit" value="保存">'
    )
    assert admin_labels(page) == [
        "选择 人员 来修改",
        "角色",
        "Badge",
        "Status changed at:",
        "Shown to residents",
        "保存",
    ]


def test_it_answers_a_server_error_in_chinese(rf):
    with translation.override("zh-hans"):
        page = server_error(rf.get("/")).content.decode()
    assert "服务器" in page and english_in_page(page) == []


def test_it_names_every_model_and_app_in_chinese():
    english = []
    with translation.override("zh-hans"):
        for config in apps.get_app_configs():
            if not config.name.startswith("lastmeter"):
                continue
            english += [f"app {config.label}: {r}" for r in english_runs(str(config.verbose_name))]
            for model in config.get_models():
                for name in (model._meta.verbose_name, model._meta.verbose_name_plural):
                    english += [f"{model.__name__}: {r}" for r in english_runs(str(name))]
    assert english == []


def test_it_finds_english_and_only_english():
    page = (
        '<title>诉求 · lastmeter</title><button title="Close">×</button><p>距离 250 m · grid-a · API</p>'
        '<script>var x = "Not shown";</script><input type="submit" value="Save">'
        '<script type="application/json" id="lm-config">{"strings": {"a": "Log out", "b": "退出"}}</script>'
        '<script type="application/json" id="lm-state">{"status": "available"}</script>'
        '<pre translate="no">{"text": "raw"}</pre><p>运行 <code>lastmeter grids build-units</code></p>'
        "<p>已受理<br>Received</p>"
    )
    assert "Not shown" not in " ".join(visible_texts(page))
    assert sorted(english_in_page(page)) == ["Close", "Log out", "Received", "Save"]
