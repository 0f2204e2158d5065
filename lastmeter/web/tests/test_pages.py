"""The shell: home sends visitors on, the header links only to the pages a person's scope opens."""

from __future__ import annotations

from django.test import Client


def login(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password="pass-" + username)
    return c


def test_it_sends_home_visitors_to_the_login_page_or_the_queue(world, client):
    assert client.get("/")["Location"].startswith("/accounts/login/")
    assert login("dispatcher").get("/")["Location"] == "/appeals/"


def _nav_hrefs(page: str) -> set[str]:
    header = page.split("<nav>", 1)[1].split("</nav>", 1)[0]
    return {
        href
        for href in ("/appeals/", "/command/", "/phone/", "/planning/", "/planning/service-areas/")
        if f'href="{href}"' in header
    }


def test_it_links_each_person_only_to_the_pages_their_scope_opens(world):
    assert _nav_hrefs(login("dispatcher").get("/appeals/").content.decode()) == {
        "/appeals/",
        "/command/",
        "/planning/",
        "/planning/service-areas/",
    }
    assert _nav_hrefs(login("officer_a").get("/appeals/").content.decode()) == {"/appeals/", "/phone/"}
    liaison = login(world.liaison.user.username).get("/appeals/").content.decode()
    assert _nav_hrefs(liaison) == {"/appeals/"}


INTAKE = ("/intake/report/", "/intake/call/", "/intake/on-behalf/", "/intake/inbox/", "/intake/locate/")


def _intake_hrefs(page: str) -> set[str]:
    header = page.split("<nav>", 1)[1].split("</nav>", 1)[0]
    return {href for href in INTAKE if f'href="{href}"' in header}


def test_it_links_the_intake_pages_to_the_roles_that_use_them(world, client):
    # A resident (no account) finds the form to report a problem, on any page.
    assert _intake_hrefs(client.get("/accounts/login/").content.decode()) == {"/intake/report/"}
    assert _intake_hrefs(client.get("/t/no-such-token/").content.decode()) == {"/intake/report/"}
    # The dispatcher records calls and watches the inbox and the locate queue.
    assert _intake_hrefs(login("dispatcher").get("/appeals/").content.decode()) == {
        "/intake/call/",
        "/intake/inbox/",
        "/intake/locate/",
    }
    # The grid officer takes calls and files for residents; the grid member too.
    both = {"/intake/call/", "/intake/on-behalf/"}
    assert _intake_hrefs(login("officer_a").get("/appeals/").content.decode()) == both
    assert _intake_hrefs(login("member_a").get("/appeals/").content.decode()) == both
    # A building head files for residents; the department liaison has no intake page.
    assert _intake_hrefs(login("head_a").get("/appeals/").content.decode()) == {"/intake/on-behalf/"}
    assert _intake_hrefs(login("liaison").get("/appeals/").content.decode()) == set()
    # Each link opens its page for that person.
    for username, hrefs in (
        ("dispatcher", ("/intake/call/", "/intake/inbox/")),
        ("head_a", ("/intake/on-behalf/",)),
    ):
        client_for = login(username)
        assert all(client_for.get(href).status_code == 200 for href in hrefs)
