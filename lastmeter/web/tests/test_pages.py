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
