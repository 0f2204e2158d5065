"""The refusal matrix: every page and API endpoint × every role, with the status each must get.

The URLs are not listed by hand: every pattern of the URL conf (pages, the Ninja API's routes
under /api/v1, Open311, the admin) is enumerated through Django's resolver, filled in with the
objects of the zh-Hans walk's town (web/tests/test_zh_hans_everywhere.py: grid A's appeals, a
transfer to one department, an intake item, complaints, mediation cases, plans, a broadcast and
an alert …), and fetched by each role. The objects are on one side — grid A, the urban
management department — so grid B's officer and the greening department's liaison are the
"other side" and must be refused (404, or 403 where the page is refused as a whole).

``RULES`` says what each role gets, one line per URL name: twelve statuses in ``ROLES`` order.
A status ``P…`` (``U…``, ``A…``) means the URL answers GET with 405, so it was POSTed (PUT,
PATCHed) with an empty body instead.
A URL whose name has no rule FAILS the test, printing the statuses it got so that the developer
can check them — every code is a decision: who may see this? — and add the line.
"""

from __future__ import annotations

import os

import pytest
from django.test import Client

from lastmeter.appeals.models import Appeal
from lastmeter.patrols.models import NetworkTask
from lastmeter.testing.urlwalk import Page, page_urls, walk_patterns
from lastmeter.web.tests import test_zh_hans_everywhere as zh_walk

town = zh_walk.town  # the fixture: the world with something on every page

# Column order of RULES. "resident" holds a real tracking link (the token, the signed follow link);
# "anonymous" tries made-up ones. Both have no account. officer_b is grid B's officer on grid A's
# objects; other_liaison is the greening department's liaison on urban management's transfer.
ROLES: dict[str, str | None] = {
    "anonymous": None,
    "resident": None,
    "building_head": "head_a",
    "grid_member": "member_a",
    "officer_a": "officer_a",
    "officer_b": "officer_b",
    "liaison": "liaison",
    "other_liaison": "other_liaison",
    "dispatcher": "dispatcher",
    "leader": "leader",
    "legal": "legal",
    "admin": "admin",
}
MADE_UP = {"token": "x" * 22, "signed": "1:" + "x" * 43, "ctoken": "x" * 24}


DUPLICATE_NAMES: set[str] = set()


def skip(reason: str) -> str:
    return "skip: " + reason


# Name (or "prefix*") → statuses in ROLES order, or skip(reason).
# Columns: anonymous resident building_head grid_member officer_a officer_b liaison other_liaison
#          dispatcher leader legal admin
RULES: dict[str, str] = {
    "logout": skip("POST only: logs the client out, which would end the walk for its role"),
    "admin:logout": skip("POST only: logs the client out"),
    "admin:*": skip(
        "Django admin's own permission check; admin:index below proves only the administrator gets in"
    ),
    "admin:index": "302 302 302 302 302 302 302 302 302 302 302 200",
    "admin:login": "200 200 200 200 200 200 200 200 200 200 200 302",
    "admin:accounts_person_changelist": "302 302 302 302 302 302 302 302 302 302 302 200",
    "api:openapi-json": "200 200 200 200 200 200 200 200 200 200 200 200",
    "api:openapi-view": "200 200 200 200 200 200 200 200 200 200 200 200",
    "api:list_appeals": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:create_appeal": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:get_appeal": "401 401 404 200 200 404 404 404 200 200 404 200",
    "api:act_on_appeal": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:assignable": "401 401 404 403 200 404 404 404 200 200 404 200",
    "api:reveal_reporter_phone": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:track": "404 200 200 200 200 200 200 200 200 200 200 200",
    "api:send_code": "P404 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:rate": "P400 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:contest": "P400 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:post_message api/v1/intake/messages": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:get_item": "401 401 404 200 200 404 404 404 200 200 404 200",
    "api:route": "401 401 422 422 422 422 422 422 422 422 422 422",
    "api:network": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:status": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:reload": "P401 P401 P403 P403 P403 P403 P403 P403 P403 P403 P403 P200",
    "api:list_units": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:get_unit": "401 401 404 404 200 404 404 404 200 200 404 200",
    "api:post_unit_position": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:post_my_position": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:patch_unit_status": "A401 A401 A422 A422 A422 A422 A422 A422 A422 A422 A422 A422",
    "api:list_incidents": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:create_incident": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:get_incident": "401 401 404 404 200 404 404 404 200 200 404 200",
    "api:patch_incident": "401 401 404 404 200 404 404 404 200 200 404 200",
    "api:close_incident": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:recommendations": "401 401 404 404 403 404 404 404 200 200 404 200",
    "api:dispatch": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:en_route": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:arrival": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:clear": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:open_command_group": "P401 P401 P404 P404 P200 P404 P404 P404 P200 P200 P404 P200",
    "api:list_groups": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:get_group": "401 401 404 404 200 404 404 404 200 200 404 200",
    "api:list_messages": "401 401 404 404 200 404 404 404 200 200 404 200",
    "api:post_message api/v1/command-groups/<group_id>/messages": "401 401 404 404 200 404 404 404 200 200 404 200",
    "api:list_sos": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:raise_sos": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:ack_sos": "P401 P401 P404 P404 P403 P404 P404 P404 P200 P409 P404 P409",
    "api:resolve_sos": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:grids_geojson": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:grid_chain": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:building_chain": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:responsible_at": "401 401 422 422 422 422 422 422 422 422 422 422",
    "api:hotspots_geojson": "401 401 404 404 200 200 404 404 200 200 404 200",
    "api:planning_units": "401 401 403 403 403 403 403 403 200 200 403 200",
    "api:update_plan": "401 401 403 403 403 403 403 403 200 200 403 200",
    "api:preview_plan": "P401 P401 P403 P403 P403 P403 P403 P403 P200 P409 P403 P409",
    "api:move_unit": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:update_plan_grid": "A401 A401 A403 A403 A403 A403 A403 A403 A200 A400 A403 A400",
    "api:adopt_plan": "P401 P401 P403 P403 P403 P403 P403 P403 P200 P409 P403 P409",
    "api:discard_plan": "P401 P401 P403 P403 P403 P403 P403 P403 P409 P409 P403 P409",
    "api:planning_plan_map": "401 401 403 403 403 403 403 403 200 200 403 200",
    "api:list_platforms": "401 401 403 403 403 403 403 403 200 200 403 200",
    "api:save_platform": "401 401 403 403 403 403 403 403 200 200 403 200",
    "api:service_areas": "401 401 403 403 403 403 403 403 200 200 403 400",
    "api:planning_service_areas_geojson": "401 401 403 403 403 403 403 403 200 200 403 400",
    "api:blockade": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:add_platforms": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:planning_district_review": "401 401 403 403 403 403 403 403 200 200 403 400",
    "api:planning_containment": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:appeal_stats": "401 401 403 200 200 200 403 403 200 200 403 200",
    "api:satisfaction_stats": "401 401 403 200 200 200 403 403 200 200 403 200",
    "api:appeal_hours": "401 401 403 200 200 200 403 403 200 200 403 200",
    "api:transfer_stats": "401 401 403 200 200 200 200 200 200 200 403 200",
    "api:incident_stats": "401 401 403 200 200 200 403 403 200 200 403 200",
    "api:incident_types": "401 401 403 200 200 200 403 403 200 200 403 200",
    "api:units_busy": "401 401 403 403 403 403 403 403 200 200 403 200",
    "api:working_day_stats": "401 401 403 200 200 200 403 403 200 200 403 200",
    "api:leadership_dashboard": "401 401 403 403 403 403 403 403 200 200 403 200",
    "api:level_dashboard": "401 401 403 403 403 403 403 403 200 200 403 200",
    "api:list_broadcasts": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:create_broadcast": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:preview": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:get_broadcast": "401 401 404 404 200 404 404 404 200 200 404 200",
    "api:decline": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:report": "401 401 404 404 200 404 404 404 200 200 404 200",
    "api:act api/v1/broadcasts/<int:broadcast_id>/<action>": "P401 P401 P404 P404 P404 P404 P404 P404 P404 P404 P404 P404",
    "api:list_alerts": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:create_alert": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:get_alert": "401 401 404 404 200 404 404 404 200 200 404 200",
    "api:submit_alert": "P401 P401 P404 P404 P409 P404 P404 P404 P403 P403 P404 P403",
    "api:approve_alert": "P401 P401 P404 P404 P403 P404 P404 P404 P403 P400 P404 P400",
    "api:close_alert": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    # without a file the upload is refused before the alert is looked up (scope: broadcasts/tests)
    "api:alert_photo": "P401 P401 P422 P422 P422 P422 P422 P422 P422 P422 P422 P422",
    "api:list_audiences": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:save_audience": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:get_audience": "401 401 404 404 200 404 404 404 200 200 404 200",
    "api:edit_audience": "401 401 404 404 200 404 404 404 200 200 404 200",
    "api:list_complaints": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:file_complaint": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:complaint_figures": "401 401 403 403 403 403 403 403 200 200 200 200",
    "api:get_complaint": "401 401 404 404 404 404 404 404 200 200 200 200",
    "api:act api/v1/complaints/<complaint_id>/actions/<action>": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:list_cases": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:open_case": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:mediation_figures": "401 401 403 200 200 200 403 403 200 200 403 200",
    "api:get_case": "401 401 404 404 200 404 404 404 200 200 404 200",
    "api:act api/v1/mediation/cases/<case_id>/actions/<action>": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:api-root": "404 404 404 404 404 404 404 404 404 404 404 404",
    "login": "200 200 200 200 200 200 200 200 200 200 200 200",
    "accounts:two_factor": "302 302 200 200 200 200 200 200 200 200 200 200",
    "accounts:enrol": "302 302 200 200 200 200 200 200 200 200 200 200",
    "accounts:verify": "302 302 302 302 302 302 302 302 200 200 200 200",
    "accounts:new_recovery_codes": "302 302 P302 P302 P302 P302 P302 P302 P200 P200 P200 P200",
    "set_language": "302 302 302 302 302 302 302 302 302 302 302 302",
    "ops:healthz": "200 200 200 200 200 200 200 200 200 200 200 200",
    "ops:readyz": "200 200 200 200 200 200 200 200 200 200 200 200",
    "ops:metrics": "200 200 200 200 200 200 200 200 200 200 200 200",
    "intake:report": "200 200 200 200 200 200 200 200 200 200 200 200",
    "intake:report_roads": "200 200 200 200 200 200 200 200 200 200 200 200",
    "intake:call": "302 302 404 200 200 200 404 404 200 200 404 200",
    "intake:on_behalf": "302 302 200 200 200 200 404 404 404 404 404 200",
    "intake:inbox": "302 302 404 404 404 404 404 404 200 200 404 200",
    "intake:item": "302 302 404 200 200 404 404 404 200 200 404 200",
    "intake:reverse": "302 302 P404 P404 P404 P404 P404 P404 P302 P302 P404 P302",
    "intake:retry": "302 302 P404 P404 P404 P404 P404 P404 P302 P302 P404 P302",
    "intake:locate": "302 302 200 200 200 200 200 200 200 200 200 200",
    "intake:set_location": "302 302 P302 P302 P302 P302 P302 P302 P302 P302 P302 P302",
    "intake:correct_category": "302 302 P302 P302 P302 P302 P302 P302 P302 P302 P302 P302",
    "open311:root": "200 200 200 200 200 200 200 200 200 200 200 200",
    "open311:discovery": "200 200 200 200 200 200 200 200 200 200 200 200",
    "open311:services": "200 200 200 200 200 200 200 200 200 200 200 200",
    "open311:service": "200 200 200 200 200 200 200 200 200 200 200 200",
    "open311:requests": "200 200 200 200 200 200 200 200 200 200 200 200",
    "open311:request": "200 200 200 200 200 200 200 200 200 200 200 200",
    "open311:request_singular": "200 200 200 200 200 200 200 200 200 200 200 200",
    "open311:token": "404 404 404 404 404 404 404 404 404 404 404 404",
    "open311:updates": "200 200 200 200 200 200 200 200 200 200 200 200",
    "open311:unknown": "404 404 404 404 404 404 404 404 404 404 404 404",
    "planning:index": "302 302 403 403 403 403 403 403 200 200 403 200",
    "planning:create": "302 302 P403 P403 P403 P403 P403 P403 P400 P400 P403 P400",
    "planning:plan": "302 302 403 403 403 403 403 403 200 200 403 200",
    "planning:act": "302 302 P403 P403 P403 P403 P403 P403 P302 P302 P403 P302",
    "planning:service_areas": "302 302 403 403 403 403 403 403 200 200 403 200",
    "planning:save_platform": "302 302 P403 P403 P403 P403 P403 P403 P400 P400 P403 P400",
    "broadcasts:index": "302 302 404 404 200 200 404 404 200 200 404 200",
    "broadcasts:compose": "302 302 404 404 200 200 404 404 200 200 404 200",
    "broadcasts:detail": "302 302 404 404 200 404 404 404 200 200 404 200",
    "broadcasts:act": "302 302 P404 P404 P302 P404 P404 P404 P302 P302 P404 P302",
    "broadcasts:edit": "302 302 P404 P404 P302 P404 P404 P404 P302 P302 P404 P302",
    "broadcasts:drafts": "302 302 P404 P404 P302 P302 P404 P404 P302 P302 P404 P302",
    "broadcasts:alert_new": "302 302 404 404 200 200 404 404 200 200 404 200",
    "broadcasts:alert": "302 302 404 404 200 404 404 404 200 200 404 200",
    "broadcasts:alert_act": "302 302 P404 P404 P302 P404 P404 P404 P302 P302 P404 P302",
    "broadcasts:alerts_feed": "200 200 200 200 200 200 200 200 200 200 200 200",
    "broadcasts:alert_public": "404 200 200 200 200 200 200 200 200 200 200 200",
    "broadcasts:alert_photo": "404 404 404 404 404 404 404 404 404 404 404 404",
    "broadcasts:alert_cap": "404 200 200 200 200 200 200 200 200 200 200 200",
    "broadcasts:audiences": "302 302 404 404 200 200 404 404 200 200 404 200",
    "broadcasts:audience_edit": "302 302 404 404 200 404 404 404 200 200 404 200",
    "complaints:queue": "302 302 200 200 200 200 200 200 200 200 200 200",
    "complaints:new": "200 200 200 200 200 200 200 200 200 200 200 200",
    "stats:complaint_figures": "302 302 404 404 404 404 404 404 200 200 200 200",
    "complaints:detail": "302 302 404 404 404 404 404 404 200 200 200 200",
    # The officer concerned (officer_a) answers the complaints about them; nobody else has any.
    "complaints:statements": "302 302 200 200 200 200 200 200 200 200 200 200",
    "complaints:statement": "302 302 404 404 200 404 404 404 404 404 404 404",
    "api:complaints_about_me_api": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:submit_statement": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "complaints:act": "302 302 P404 P404 P404 P404 P404 P404 P302 P302 P302 P302",
    "complaints:letter": "302 302 404 404 404 404 404 404 200 200 200 200",
    "complaints:evidence_file": "302 302 404 404 404 404 404 404 404 404 404 404",
    "complaints:track": "404 200 200 200 200 200 200 200 200 200 200 200",
    "complaints:track_letter": "404 200 200 200 200 200 200 200 200 200 200 200",
    "mediation:queue": "302 302 200 200 200 200 200 200 200 200 200 200",
    "mediation:new": "302 302 404 200 200 200 404 404 200 200 404 200",
    "stats:mediation_figures": "302 302 404 200 200 200 404 404 200 200 404 200",
    "mediation:detail": "302 302 404 404 200 404 404 404 200 200 404 200",
    "mediation:act": "302 302 P404 P404 P404 P404 P404 P404 P404 P404 P404 P404",
    "stats_hotspots:page": "302 302 404 404 200 200 404 404 200 200 404 200",
    "stats:report": "302 302 403 403 403 403 403 403 200 200 403 200",
    "stats:landing": "302 302 403 302 200 200 302 302 302 302 403 302",
    "stats:leadership": "302 302 403 403 403 403 403 403 200 200 403 200",
    "stats:community": "302 302 403 404 200 404 404 404 200 200 403 200",
    "stats:grid": "302 302 403 200 200 404 404 404 200 200 403 200",
    "stats:department": "302 302 403 404 404 404 200 404 200 200 403 200",
    "stats:leadership_export": "302 302 403 403 403 403 403 403 400 400 403 400",
    "stats:community_export": "302 302 403 404 400 404 404 404 400 400 403 400",
    "stats:grid_export": "302 302 403 400 400 404 404 404 400 400 403 400",
    "stats:department_export": "302 302 403 404 404 404 400 404 400 400 403 400",
    "appeals:queue": "302 302 200 200 200 200 200 200 200 200 200 200",
    "appeals:detail": "302 302 404 200 200 404 404 404 200 200 404 200",
    "appeals:act": "302 302 P404 P302 P302 P404 P404 P404 P302 P302 P404 P302",
    "appeals:department_inbox": "302 302 404 404 404 404 200 200 200 200 404 200",
    "appeals:track": "404 200 200 200 200 200 200 200 200 200 200 200",
    "appeals:track_feedback": "P404 P302 P302 P302 P302 P302 P302 P302 P302 P302 P302 P302",
    "appeals:track_code": "P404 P302 P302 P302 P302 P302 P302 P302 P302 P302 P302 P302",
    "appeals:follow": "404 200 200 200 200 200 200 200 200 200 200 200",
    "appeals:media": "302 302 404 404 404 404 404 404 404 404 404 404",
    "web:home": "302 302 302 302 302 302 302 302 302 302 302 302",
    "web:favicon": "301 301 301 301 301 301 301 301 301 301 301 301",
    "web:command": "302 302 302 302 302 302 302 302 200 200 302 200",
    "web:command_kpis": "302 302 403 403 403 403 403 403 200 200 403 200",
    "web:phone": "302 302 200 200 200 200 200 200 200 200 200 200",
    "web:phone_manifest": "200 200 200 200 200 200 200 200 200 200 200 200",
    "web:phone_sw": "200 200 200 200 200 200 200 200 200 200 200 200",
    "intake:hook": skip(
        "chat platforms' webhooks: signatures and replays are refused in intake/tests (replay.py)"
    ),
    "broadcasts:sms_inbound": skip("the SMS gateway's webhook, signed: refused in broadcasts/tests"),
    # meetings, the counter, duty plans and campaigns, patrols (added when those apps were merged; the
    # statuses were read off the matrix and checked: other community's officer 404 on community A's
    # objects, lists answer 200 with the viewer's own rows only); planning's plans now share names
    # with patrols', so they are keyed by route.
    "api:list_plans api/v1/planning/plans": "401 401 403 403 403 403 403 403 200 200 403 200",
    "api:create_plan api/v1/planning/plans": "401 401 403 403 403 403 403 403 200 200 403 200",
    "api:get_plan api/v1/planning/plans/<plan_id>": "401 401 403 403 403 403 403 403 200 200 403 200",
    "api:list_meetings": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:schedule": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:get_meeting": "401 401 404 200 200 404 200 404 200 200 404 200",
    "api:act api/v1/meetings/<meeting_id>/actions/<action>": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:list_visits": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:log_arrival": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:serve": "P401 P401 P403 P400 P400 P403 P403 P403 P400 P400 P403 P400",
    "api:finish": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:counter_figures": "401 401 403 200 200 200 403 403 200 200 403 200",
    "api:list_posts": "401 401 404 200 200 200 404 404 200 200 404 200",
    "api:roster_gaps": "401 401 404 200 200 200 404 404 200 200 404 200",
    "api:duty_on_post": "401 401 404 200 200 200 404 404 200 200 404 200",
    "api:list_campaigns": "401 401 404 200 200 200 404 404 200 200 404 200",
    "api:create_campaign": "401 401 404 200 200 200 404 404 200 200 404 200",
    "api:get_campaign": "401 401 404 200 200 404 404 404 200 200 404 200",
    "api:enter_result": "U401 U401 U422 U422 U422 U422 U422 U422 U422 U422 U422 U422",
    "api:before_after": "401 401 404 200 200 404 404 404 200 200 404 200",
    "api:list_plans api/v1/patrols/plans": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:create_plan api/v1/patrols/plans": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:get_plan api/v1/patrols/plans/<plan_id>": "401 401 200 404 200 404 404 404 200 200 404 200",
    "api:publish_plan": "P401 P401 P403 P404 P409 P404 P404 P404 P409 P409 P404 P409",
    "api:check": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "api:sighting": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    "meetings:index": "302 302 200 200 200 200 200 200 200 200 200 200",
    "meetings:new": "302 302 404 200 200 200 404 404 200 200 404 200",
    "meetings:counter": "302 302 404 200 200 200 404 404 200 200 404 200",
    "meetings:counter_step": "302 302 P404 P302 P302 P302 P404 P404 P302 P302 P404 P302",
    "meetings:detail": "302 302 404 200 200 404 200 404 200 200 404 200",
    "meetings:print": "302 302 404 200 200 404 200 404 200 200 404 200",
    "meetings:act": "302 302 P404 P404 P404 P404 P404 P404 P404 P404 P404 P404",
    "duty:index": "302 302 404 200 200 200 404 404 200 200 404 200",
    "duty:new_post": "302 302 404 404 200 200 404 404 200 200 404 200",
    "duty:post": "302 302 404 200 200 404 404 404 200 200 404 200",
    "duty:post_act": "302 302 P404 P404 P404 P404 P404 P404 P404 P404 P404 P404",
    "duty:campaigns": "302 302 404 200 200 200 404 404 200 200 404 200",
    "duty:new_campaign": "302 302 404 404 200 200 404 404 200 200 404 200",
    "duty:campaign": "302 302 404 200 200 404 404 404 200 200 404 200",
    "duty:campaign_result": "302 302 P404 P302 P302 P404 P404 P404 P302 P302 P404 P302",
    "duty:campaign_move": "302 302 P404 P302 P302 P404 P404 P404 P302 P302 P404 P302",
    "patrols:index": "302 302 200 404 200 200 404 404 200 200 404 200",
    "patrols:new_plan": "302 302 404 404 200 200 404 404 200 200 404 200",
    "patrols:plan": "302 302 200 404 200 404 404 404 200 200 404 200",
    # Patrol teams: their managers (the community's officers, the station's staff) change them;
    # a member (the building head) sees their team and is refused a change; others get 404.
    "patrols:new_team": "302 302 404 404 200 200 404 404 200 200 404 200",
    "patrols:team": "302 302 200 404 200 404 404 404 200 200 404 200",
    "patrols:add_member": "302 302 P302 P404 P302 P404 P404 P404 P302 P302 P404 P302",
    # officer_a (role order) removes the member: those after find no such member (404).
    "patrols:update_member": "302 302 P302 P404 P302 P404 P404 P404 P404 P404 P404 P404",
    "patrols:remove_member": "302 302 P302 P404 P302 P404 P404 P404 P404 P404 P404 P404",
    "api:list_teams": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:create_team": "401 401 200 200 200 200 200 200 200 200 200 200",
    "api:get_team": "401 401 200 404 200 404 404 404 200 200 404 200",
    "api:add_team_member": "P401 P401 P400 P400 P400 P400 P400 P400 P400 P400 P400 P400",
    # PUT/DELETE with an empty body: officer_a (role order) removes the member, so those after
    # find no such member (404).
    "api:update_team_member": "U401 U401 U403 U404 U200 U404 U404 U404 U404 U404 U404 U404",
    "api:remove_team_member": "U401 U401 U403 U404 U200 U404 U404 U404 U404 U404 U404 U404",
    "patrols:plan_state": "302 302 P302 P302 P302 P302 P302 P302 P302 P302 P302 P302",
    "patrols:assign": "302 302 P302 P302 P302 P302 P302 P302 P302 P302 P302 P302",
    "patrols:shift": "302 302 200 404 200 404 404 404 200 200 404 200",
    "patrols:check": "302 302 P302 P302 P302 P302 P302 P302 P302 P302 P302 P302",
    "patrols:sighting": "302 302 P302 P302 P302 P302 P302 P302 P302 P302 P302 P302",
    "patrols:me": "302 302 200 200 200 200 200 200 200 200 200 200",
    "patrols:task_done": "302 302 P302 P302 P302 P302 P302 P302 P302 P302 P302 P302",
}


def _values(town, world, role: str, page: Page) -> dict[str, list]:
    values = dict(town)
    appeal = Appeal.objects.get(pk=town["appeal_id"][0])
    values.update(
        building_id=[world.building_a.pk],
        number=[1],
        target_id=values.get("grid_id", [1]),
        kind=["wechat"],
        fmt=["json"],
        code=["illegal_parking"],
        request_id=[appeal.reference],
        token_id=["no-such-token"],
        rest=["no/such/endpoint.json"],
        media_id=[999999],
        # The building head's network task that the town assigns (patrols).
        task_id=list(NetworkTask.objects.order_by("pk").values_list("pk", flat=True)[:1]),
    )
    if "api/v1/patrols" in page.route:
        # The patrols API names its patrol plan `plan_id`, like planning's plans: give it a
        # patrol plan's id (on PostgreSQL the two tables' ids differ).
        values["plan_id"] = town["patrol_plan_id"]
    if page.name.startswith("broadcasts:"):
        values["token"] = [town["token"][-1]]  # the alert's public link
    if page.name.startswith("complaints:"):
        # The decided complaint, which has evidence and a letter.
        values["complaint_id"] = [town["complaint_id"][-1]]
        values["ctoken"] = [town["ctoken"][-1]]
    if role == "anonymous":
        values.update({k: [v] for k, v in MADE_UP.items()})
    return values


def key(page: Page) -> str:
    """The page's name, with its route when another pattern has the same name (Ninja names an
    operation after its function, and several apps have an ``act``)."""
    return page.name if page.name not in DUPLICATE_NAMES else f"{page.name} {page.route}"


def rule_for(name: str) -> str | None:
    if name in RULES:
        return RULES[name]
    prefixes = [k for k in RULES if k.endswith("*") and name.startswith(k[:-1])]
    return RULES[max(prefixes, key=len)] if prefixes else None


def _status(client: Client, url: str) -> str:
    """GET, or the first of POST, PUT, PATCH (marked P, U, A) the URL does not answer with 405:
    with an empty body, so a refusal shows before any validation does."""
    status = client.get(url).status_code
    for mark, method in (("P", client.post), ("U", client.put), ("A", client.patch)):
        if status != 405:
            break
        answer = method(url, {}) if mark == "P" else method(url, "{}", content_type="application/json")
        status = answer.status_code
        if status != 405:
            return f"{mark}{status}"
    return str(status)


@pytest.mark.django_db
def test_every_url_answers_every_role_as_its_rule_says(town, world):
    pages = [p for p in walk_patterns() if p.name]
    names = [p.name for p in pages]
    DUPLICATE_NAMES.update(n for n in names if names.count(n) > 1)
    got: dict[str, list[str]] = {}
    for role, username in ROLES.items():
        client = Client()
        if username:
            assert client.login(username=username, password="pass-" + username)
        for page in pages:
            rule = rule_for(page.name)
            if rule is not None and rule.startswith("skip: "):
                continue
            url = page_urls(
                page, _values(town, world, role, page), every_value=False, hint="give it one in _values"
            )[0]
            got.setdefault(key(page), []).append(_status(client, url))
    missing, wrong = [], []
    for name, statuses in got.items():
        line = " ".join(statuses)
        rule = rule_for(name)
        if rule is None:
            missing.append(f'    "{name}": "{line}",')
        elif rule.split() != statuses:
            wrong.append(f"{name}: expected {rule}\n{' ' * (len(name) + 6)}got {line}")
    if os.environ.get("LASTMETER_PRINT_MATRIX"):
        print("\n".join(f'    "{n}": "{" ".join(s)}",' for n, s in got.items()))
    assert not missing, (
        "URLs without a rule in RULES (web/tests/test_refusal_matrix.py). Decide who may use each and "
        "add its line — these are the statuses it gives now, in ROLES order "
        f"({' '.join(ROLES)}):\n" + "\n".join(missing)
    )
    assert not wrong, "URLs answering a role other than their rule says:\n" + "\n".join(wrong)
    assert not [s for st in got.values() for s in st if s.lstrip("PUA").startswith("5")]


def test_a_new_url_without_a_rule_is_missing():
    assert rule_for("an_app_yet_to_come:detail") is None
    assert rule_for("admin:auth_user_changelist") is not None
    assert rule_for("admin:index") == RULES["admin:index"]
