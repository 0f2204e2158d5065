"""The dashboard pages, their JSON API and their exports: refusals per role, bad input in words,
the access log of every export, CSV injection neutralised, and bounded query counts."""

from __future__ import annotations

import csv
import io

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from lastmeter.accounts.auth import issue_token
from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import AccessLog, Person, RoleAssignment
from lastmeter.appeals.models import Category
from lastmeter.stats.rollups import rebuild
from lastmeter.stats.tests.dashboard_fixture import add_more, build_spread
from lastmeter.stats.tests.fixture import appeal, at, build_month

MARCH = "from=2024-03-01&to=2024-03-31"


@pytest.fixture
def month(world):
    m = build_month(world)
    rebuild()
    return m


@pytest.fixture
def login():
    def client_for(username: str) -> Client:
        c = Client()
        assert c.login(username=username, password="pass-" + username)
        return c

    return client_for


def urls(world) -> dict[str, str]:
    return {
        "leadership": "/stats/leadership/",
        "community_a": f"/stats/community/{world.community_a.pk}/",
        "community_b": f"/stats/community/{world.community_b.pk}/",
        "grid_a": f"/stats/grid/{world.grid_a.pk}/",
        "grid_b": f"/stats/grid/{world.grid_b.pk}/",
        "department": f"/stats/department/{world.department.pk}/",
        "other_department": f"/stats/department/{world.other_department.pk}/",
    }


@pytest.mark.parametrize(
    ("username", "allowed", "forbidden", "missing"),
    [
        ("leader", ["leadership", "community_b", "grid_b", "department"], [], []),
        ("officer_a", ["community_a", "grid_a"], ["leadership"], ["community_b", "grid_b", "department"]),
        ("officer_b", ["community_b", "grid_b"], ["leadership"], ["community_a", "grid_a"]),
        ("member_a", ["grid_a"], ["leadership"], ["grid_b", "community_a"]),
        ("liaison", ["department"], ["leadership"], ["other_department", "grid_a", "community_a"]),
        ("head_a", [], ["leadership", "grid_a", "department"], []),
    ],
)
def test_it_refuses_each_role_what_is_not_theirs(world, month, login, username, allowed, forbidden, missing):
    c, pages = login(username), urls(world)
    for name in allowed:
        r = c.get(f"{pages[name]}?{MARCH}")
        assert r.status_code == 200, name
        assert b'data-testid="kpi-' in r.content
    for name in forbidden:
        r = c.get(f"{pages[name]}?{MARCH}")
        assert r.status_code == 403, name
        assert b"kpi-" not in r.content and "统计" in r.content.decode()
    for name in missing:
        r = c.get(f"{pages[name]}?{MARCH}")
        assert r.status_code == 404, name
        assert b"kpi-" not in r.content and b"table-" not in r.content
        # The export of a dashboard that is not theirs is refused the same way, and not logged.
        assert c.get(f"{pages[name]}export/?{MARCH}&format=xlsx").status_code == 404
    assert not AccessLog.objects.exists()


def test_it_sends_anonymous_visitors_to_the_login(world, client):
    r = client.get("/stats/leadership/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("from=2024-03-31&to=2024-03-01", "晚于"),
        ("from=2004-01-01&to=2024-01-01", "五年"),
        ("from=2022-01-01&to=2024-01-01&period=day", "一年"),
        ("from=2024-02-30", "YYYY-MM-DD"),
        (f"{MARCH}&category=no-such-category", "no-such-category"),
        (f"{MARCH}&period=fortnight", "fortnight"),
    ],
)
def test_it_answers_bad_input_with_a_chinese_sentence_not_an_empty_chart(world, month, login, query, words):
    r = login("leader").get(f"/stats/leadership/?{query}")
    assert r.status_code == 400
    page = r.content.decode()
    assert words in page and 'data-testid="dash-error"' in page
    assert 'data-testid="kpi-' not in page and "dash-charts" not in page


def test_it_answers_an_unknown_grid_and_another_communitys_grid_alike(world, month, login):
    c = login("officer_b")
    unknown = c.get(f"/stats/grid/999999/?{MARCH}")
    theirs = c.get(f"/stats/grid/{world.grid_a.pk}/?{MARCH}")
    assert unknown.status_code == theirs.status_code == 404
    assert "999999" in unknown.content.decode() and "网格" in theirs.content.decode()


def test_it_turns_a_quick_range_into_dates(world, month, login):
    with time_machine.travel("2024-04-17 10:00 +0800", tick=False):
        page = login("leader").get("/stats/leadership/?quick=last_month").content.decode()
    assert 'value="2024-03-01"' in page and 'value="2024-03-31"' in page
    assert "2024-03-01 至 2024-03-31" in page


def test_it_links_numbers_to_the_appeals_behind_them(world, month, login):
    c = login("officer_a")
    page = c.get(f"/stats/grid/{world.grid_a.pk}/?{MARCH}").content.decode()
    link = f"/appeals/?received_from=2024-03-01&amp;received_to=2024-03-31&amp;grid={world.grid_a.pk}"
    assert link in page
    listed = c.get(link.replace("&amp;", "&")).content.decode()
    assert listed.count("data-appeal=") == 5 and 'data-testid="figure-filter"' in listed
    # The same filter never widens the viewer's scope: the other community's officer sees none.
    assert login("officer_b").get(link.replace("&amp;", "&")).content.decode().count("data-appeal=") == 0


def test_it_links_each_dashboard_to_the_printable_reports_of_the_same_target(world, month, login):
    c = login("officer_a")
    page = c.get(f"/stats/grid/{world.grid_a.pk}/?{MARCH}").content.decode()
    for period in ("week", "month"):
        link = f"/stats/report/grid/?period={period}&amp;target={world.grid_a.pk}"
        assert link in page
        report = c.get(link.replace("&amp;", "&"))
        assert report.status_code == 200 and world.grid_a.name in report.content.decode()


def test_it_exports_a_table_as_csv_with_the_access_log(world, month, login):
    r = login("leader").get(f"/stats/leadership/export/?{MARCH}&table=grids&format=csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert r["Content-Disposition"] == (
        'attachment; filename="lastmeter-leadership-jurisdiction-2024-03-01_2024-03-31-grids.csv"'
    )
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["名称", "排名", "社区", "受理诉求数"]
    assert rows[1][:5] == ["A网格", "1", "福州路社区", "5", "66.67"]  # rates in %
    (log,) = AccessLog.objects.all()
    assert log.person == world.leader and "grids (csv)" in log.what
    assert "2024-03-01..2024-03-31" in log.why and "no personal data" in log.why


def test_it_exports_the_whole_dashboard_as_a_workbook(world, month, login):
    r = login("officer_a").get(f"/stats/grid/{world.grid_a.pk}/export/?{MARCH}&format=xlsx")
    assert r.status_code == 200 and "grid-a-2024-03-01_2024-03-31.xlsx" in r["Content-Disposition"]
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == [
        "核心指标",
        "趋势",
        "本网格责任人",
        "诉求类别",
        "按星期和时段统计的受理诉求数",
        "警情类型分布",
        "各力量响应时间（派出至到场）",
    ]
    kpis = book["核心指标"]
    assert kpis["A2"].value == "受理诉求数" and kpis["B2"].value == 5
    rate = kpis["B4"]  # landed within 24 h: 3 of 4, a number formatted as a percentage
    assert rate.value == 0.75 and rate.number_format == "0.0%"
    (log,) = AccessLog.objects.all()
    assert log.object_type == "grids.grid" and log.object_id == str(world.grid_a.pk)
    assert "officers' names" in log.why


def test_it_neutralises_formulas_in_exported_names(world, login):
    evil = Category.objects.create(code="evil", name='=HYPERLINK("http://x","点我")')
    minus = Category.objects.create(code="minus", name="-2+3")
    for category in (evil, minus):
        a = appeal(world, at(5, 9))
        a.category = category
        a.save(update_fields=["category"])
    rebuild()
    c = login("leader")
    text = c.get(f"/stats/leadership/export/?{MARCH}&table=categories&format=csv").content.decode("utf-8-sig")
    names = {row[0] for row in csv.reader(io.StringIO(text))}
    assert '\'=HYPERLINK("http://x","点我")' in names and "'-2+3" in names
    book = load_workbook(
        io.BytesIO(c.get(f"/stats/leadership/export/?{MARCH}&table=categories&format=xlsx").content)
    )
    cells = [row[0] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://x","点我")' in cells
    assert all(cell.data_type != "f" for row in book.active.iter_rows() for cell in row)


def test_it_refuses_an_unknown_table_or_a_csv_of_everything(world, month, login):
    c = login("leader")
    assert c.get(f"/stats/leadership/export/?{MARCH}&table=weather&format=csv").status_code == 400
    r = c.get(f"/stats/leadership/export/?{MARCH}&format=csv")
    assert r.status_code == 400 and "XLSX" in r.content.decode()
    assert c.get("/stats/leadership/export/?from=2024-03-31&to=2024-03-01&format=xlsx").status_code == 400
    assert not AccessLog.objects.exists()


def test_it_sends_each_person_to_the_dashboards_of_their_level(world, login):
    assert login("leader").get("/stats/")["Location"] == "/stats/leadership/"
    assert login("member_a").get(f"/stats/?{MARCH}")["Location"] == f"/stats/grid/{world.grid_a.pk}/?{MARCH}"
    assert login("liaison").get("/stats/")["Location"] == f"/stats/department/{world.department.pk}/"
    both = login("officer_a").get("/stats/")
    assert both.status_code == 200
    page = both.content.decode()
    assert f"/stats/community/{world.community_a.pk}/" in page and f"/stats/grid/{world.grid_a.pk}/" in page
    assert login("head_a").get("/stats/").status_code == 403


def test_it_shows_the_figures_link_only_to_roles_with_figures(world, login):
    assert 'href="/stats/"' in login("leader").get("/appeals/").content.decode()
    assert 'href="/stats/"' in login("liaison").get("/departments/inbox/").content.decode()
    assert 'href="/stats/"' not in login("head_a").get("/appeals/").content.decode()


def test_it_serves_the_dashboards_as_json(world, month, client):
    leader = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.leader, 't')}")
    body = leader.get(f"/api/v1/stats/dashboards/leadership?{MARCH}").json()
    assert body["level"] == "leadership" and body["period"] == "day"
    assert body["kpis"][0]["key"] == "received" and body["kpis"][0]["value"] == 6
    assert [t["name"] for t in body["tables"]] == [
        "trend",
        "grids",
        "categories",
        "incidents",
        "response",
        "departments",
        "complaints_units",
        "complaints_officers",
        "complaint_decisions",
        "complaint_replies",
        "mediation_types",
        "mediation_outcomes",
    ]
    grid = leader.get(f"/api/v1/stats/dashboards/grid/{world.grid_a.pk}?{MARCH}").json()
    assert grid["tables"][1]["name"] == "officers" and grid["target_code"] == "grid-a"
    member = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.grid_member, 't')}")
    assert member.get(f"/api/v1/stats/dashboards/grid/{world.grid_b.pk}?{MARCH}").status_code == 404
    assert member.get(f"/api/v1/stats/dashboards/leadership?{MARCH}").status_code == 403
    bad = leader.get("/api/v1/stats/dashboards/leadership?from=2024-03-31&to=2024-03-01")
    assert bad.status_code == 400 and "晚于" in bad.json()["detail"]
    assert client.get("/api/v1/stats/dashboards/leadership").status_code == 401
    resident = Person.objects.create(name="居民刘")
    RoleAssignment.objects.create(person=resident, role=Role.VOLUNTEER)
    as_resident = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(resident, 't')}")
    assert as_resident.get(f"/api/v1/stats/dashboards/grid/{world.grid_a.pk}").status_code == 403


def test_it_documents_the_dashboard_endpoints_in_openapi(world, client):
    spec = client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/stats/dashboards/leadership", "/api/v1/stats/dashboards/{level}/{target_id}"):
        responses = spec["paths"][path]["get"]["responses"]
        assert {"200", "400", "403", "404"} <= set(responses), path
    assert "DashboardOut" in spec["components"]["schemas"]


@pytest.mark.parametrize(
    ("username", "page", "most"),
    [
        # Each bound includes the sign-in's own reads: session, user, person and roles, plus up to
        # three for the second factor (must this role verify? the TOTP and the recovery-code
        # devices) that the two-factor middleware makes on every request.
        ("leader", "leadership", 32),  # + 8: the complaints and mediation tables
        ("officer_a", "community_a", 32),  # + 7: the same without complaints per officer
        ("officer_a", "grid_a", 27),
        ("liaison", "department", 24),
    ],
)
def test_it_keeps_the_query_count_of_page_api_and_export_flat(
    world, login, username, page, most, django_assert_max_num_queries
):
    build_spread(world)
    add_more(world)
    c, path = login(username), urls(world)[page]
    api = "/api/v1/stats/dashboards/" + path.removeprefix("/stats/").rstrip("/")
    for url in (
        f"{path}?{MARCH}",
        f"{path}export/?{MARCH}&format=xlsx",
        f"{path}export/?{MARCH}&format=csv&table=trend",
        f"{api}?{MARCH}",
    ):
        with django_assert_max_num_queries(most):
            assert c.get(url).status_code == 200, url
