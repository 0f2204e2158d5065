"""The figures of community work (stats.community_work) against the hand-computed month of
``community_fixture``, scoped to the jurisdiction and to one community; the dashboards' tables
and their CSV export; the complaint and mediation figures pages and API with their refusals."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.test import Client

from lastmeter.stats import community_work as cw
from lastmeter.stats.dashboards import build_dashboard
from lastmeter.stats.measures import Slice
from lastmeter.stats.tests.community_fixture import build_community_month

MARCH = (date(2024, 3, 1), date(2024, 3, 31))
QUERY = "from=2024-03-01&to=2024-03-31"


@pytest.fixture
def month(world):
    return build_community_month(world)


def whole() -> Slice:
    return Slice(*MARCH)


def of(community) -> Slice:
    return Slice(*MARCH, community_id=community.pk)


def counts(rows: list[dict], key: str) -> dict:
    return {r["key"]: r[key] for r in rows}


def test_it_counts_complaints_per_unit_on_the_local_day_they_were_received(world, month):
    # C5 came in at 00:30 on 1 March in Shanghai (still February in UTC): a March complaint;
    # C6 at 23:00 on 29 February: not one.
    assert counts(cw.complaints_per_unit(whole()), "complaints") == {
        world.community_a.pk: 1,
        world.building_a.pk: 1,
        world.community_b.pk: 2,
        None: 1,
    }
    assert cw.complaints_per_unit(whole())[0] == {
        "key": world.community_b.pk,
        "label": world.community_b.name,
        "complaints": 2,
    }
    # A community's figures: its own unit and its buildings, nothing of B or of the unidentified.
    assert counts(cw.complaints_per_unit(of(world.community_a)), "complaints") == {
        world.community_a.pk: 1,
        world.building_a.pk: 1,
    }


def test_it_counts_complaints_per_officer_concerned(world, month):
    assert counts(cw.complaints_per_officer(whole()), "complaints") == {
        world.grid_officer.pk: 2,
        world.other_officer.pk: 2,
        None: 1,
    }
    assert counts(cw.complaints_per_officer(of(world.community_b)), "complaints") == {
        world.other_officer.pk: 2
    }


def test_it_counts_decisions_by_kind_on_the_day_decided_every_round(world, month):
    assert counts(cw.decisions_by_kind(whole()), "decisions") == {
        "uphold": 1,
        "correct": 1,
        "revoke": 1,
        "partly": 0,  # C5's decision was made on 2 April
    }
    assert counts(cw.decisions_by_kind(of(world.community_a)), "decisions") == {
        "uphold": 1,
        "correct": 0,
        "revoke": 1,
        "partly": 0,
    }


def test_it_measures_replies_on_time_over_the_replies_due_in_the_range(world, month):
    # Due in March: C1 r1 met, C1 r2 met late, C3 breached, C5 met; C2 running and C6 cancelled
    # are left out; C4 is due in April.
    assert cw.on_time_reply_rate(whole()) == {
        "replies_due": 4,
        "replied_on_time": 2,
        "replied_late": 1,
        "replies_overdue": 1,
        "reply_on_time_rate": 0.5,
    }
    assert cw.on_time_reply_rate(of(world.community_a))["replies_due"] == 2
    assert cw.on_time_reply_rate(Slice(date(2024, 4, 1), date(2024, 4, 30)))["reply_on_time_rate"] == 1.0
    assert cw.on_time_reply_rate(Slice(date(2024, 5, 1), date(2024, 5, 31)))["reply_on_time_rate"] is None


def test_it_counts_mediation_cases_by_type_opened_in_the_range(world, month):
    assert counts(cw.mediation_cases_by_type(whole()), "cases") == {
        "neighbour": 1,
        "noise": 2,  # M1, M5 (M6 was opened in February)
        "debt": 1,
        "family": 1,
        "traffic_damage": 0,
        "other": 0,
    }
    assert counts(cw.mediation_cases_by_type(of(world.community_a)), "cases")["noise"] == 1


def test_it_measures_the_success_rate_a_partial_agreement_is_no_success(world, month):
    assert cw.mediation_success_rate(whole()) == {
        "concluded": 4,
        "agreed": 2,
        "partial": 1,
        "failed": 1,
        "success_rate": 0.5,
    }
    assert cw.mediation_success_rate(of(world.community_a))["success_rate"] == 1.0
    assert cw.mediation_success_rate(of(world.community_b))["success_rate"] == 0.0


def test_it_measures_days_to_agreement_of_the_agreements_reached_in_the_range(world, month):
    # [1.5, 4, 10, 11]: p50 = (4 + 10) / 2, p90 at rank 2.7 = 10 + 0.7 × (11 − 10).
    assert cw.days_to_agreement(whole()) == {
        "agreements": 4,
        "agreement_p50_days": 7.0,
        "agreement_p90_days": 10.7,
    }
    # Community A: [4, 10, 11].
    assert cw.days_to_agreement(of(world.community_a)) == {
        "agreements": 3,
        "agreement_p50_days": 10.0,
        "agreement_p90_days": 10.8,
    }
    assert cw.days_to_agreement(Slice(date(2024, 5, 1), date(2024, 5, 31)))["agreement_p50_days"] is None


def test_it_counts_recurrence_within_90_days_after_the_agreement(world, month):
    # M1 (30 Mar) and M6 (two appeals in May, counted once) recurred; M2's appeal came before
    # its agreement, M4's 95 days after.
    assert cw.recurrence_within_90_days(whole()) == {
        "agreed_cases": 4,
        "recurred_in_90d": 2,
        "recurrence_rate": 0.5,
    }
    assert cw.recurrence_within_90_days(of(world.community_a))["recurrence_rate"] == 0.6667


def table(dash, name: str) -> dict:
    t = dash.table(name)
    return {row["label"]: {c.key: row.get(c.key) for c in t.columns[1:]} for row in t.rows}


def test_it_shows_the_tables_on_the_leadership_dashboard(world, month):
    dash = build_dashboard(world.scope(world.leader), "leadership", None, *MARCH)
    assert table(dash, "complaints_officers") == {
        world.grid_officer.name: {"complaints": 2},
        world.other_officer.name: {"complaints": 2},
        "尚未确认当事民警": {"complaints": 1},
    }
    assert table(dash, "complaint_replies")["答复时限"]["reply_on_time_rate"] == 0.5
    outcomes = table(dash, "mediation_outcomes")["调解案件"]
    assert (outcomes["success_rate"], outcomes["agreement_p50_days"], outcomes["recurred_in_90d"]) == (
        0.5,
        7.0,
        2,
    )


def test_it_shows_a_community_only_its_own_complaints_and_cases_and_no_names_of_officers(world, month):
    dash = build_dashboard(world.scope(world.grid_officer), "community", world.community_a.pk, *MARCH)
    assert set(table(dash, "complaints_units")) == {world.community_a.name, world.building_a.name}
    assert table(dash, "mediation_types")["噪音扰民"] == {"cases": 1}
    assert table(dash, "mediation_outcomes")["调解案件"]["success_rate"] == 1.0
    with pytest.raises(KeyError):
        dash.table("complaints_officers")


def login(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password="pass-" + username)
    return c


def test_it_exports_a_community_work_table_as_csv_like_the_others(world, month):
    body = login("leader").get(f"/stats/leadership/export/?{QUERY}&format=csv&table=mediation_outcomes")
    assert body.status_code == 200 and body["Content-Type"].startswith("text/csv")
    header, row = list(csv.reader(io.StringIO(body.content.decode("utf-8-sig"))))
    values = dict(zip(header, row, strict=True))
    assert values["成功率（%）"] == "50.0" and values["90天内复发"] == "2"
    xlsx = login("leader").get(f"/stats/leadership/export/?{QUERY}&format=xlsx&table=complaint_decisions")
    assert xlsx.status_code == 200


def test_it_shows_the_complaint_figures_to_the_legal_office_only(world, month):
    page = login("legal").get(f"/stats/complaints/?{QUERY}")
    assert page.status_code == 200
    html = page.content.decode()
    assert world.other_officer.name in html and 'data-testid="table-complaints_officers"' in html
    csv_body = login("legal").get(f"/stats/complaints/?{QUERY}&table=complaints_units&format=csv")
    assert csv_body.status_code == 200 and world.community_b.name in csv_body.content.decode("utf-8-sig")
    assert login("officer_a").get("/stats/complaints/").status_code == 404
    assert login("head_a").get("/stats/complaints/").status_code == 404
    bad = login("legal").get("/stats/complaints/?from=2024-03-31&to=2024-03-01")
    assert bad.status_code == 400 and "2024-03-31" in bad.content.decode()
    unknown = login("legal").get(f"/stats/complaints/?{QUERY}&table=nope&format=csv")
    assert unknown.status_code == 400 and "complaints_units" in unknown.content.decode()


def test_it_answers_the_figures_api_with_the_same_measures_and_refuses_others(world, month):
    api = login("legal")
    figures = api.get(f"/api/v1/complaints/figures?{QUERY}").json()
    assert figures["replies"]["reply_on_time_rate"] == 0.5
    assert {r["label"]: r["count"] for r in figures["decisions_by_kind"]}["予以撤销"] == 1
    assert login("officer_a").get(f"/api/v1/complaints/figures?{QUERY}").status_code == 403
    assert api.get("/api/v1/complaints/figures?from=2024-13-01").status_code == 400
    mediation = login("officer_a").get(f"/api/v1/mediation/figures?{QUERY}").json()
    assert mediation["days_to_agreement"] == {
        "agreements": 4,
        "agreement_p50_days": 7.0,
        "agreement_p90_days": 10.7,
    }
    assert login("head_a").get(f"/api/v1/mediation/figures?{QUERY}").status_code == 403
