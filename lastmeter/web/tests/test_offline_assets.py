"""Nothing from a CDN: the API's Swagger page is served from the installed package, and the site
has an icon of its own."""

from __future__ import annotations

import json
import re

from django.contrib.staticfiles import finders
from django.test import Client

from lastmeter.testing.visible_text import external_resources, loaded_resources


def _static_path(url: str) -> str:
    assert url.startswith("/static/"), url
    return url.removeprefix("/static/").split("?")[0]


def test_it_serves_the_api_docs_without_any_other_host(db):
    page = Client().get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert external_resources(html) == []
    resources = loaded_resources(html)
    assert any(u.endswith("swagger-ui-bundle.js") for u in resources)
    for url in resources:  # each one is a file of an installed package, found by staticfiles
        assert finders.find(_static_path(url)), url
    # No validator badge: Swagger UI would send the schema's address to validator.swagger.io.
    settings_json = re.search(r'id="swagger-settings">(.*?)</script>', html, re.S).group(1)
    assert json.loads(settings_json)["validatorUrl"] is None
    assert "cdn" not in html.lower()


def test_it_has_a_favicon_of_its_own(world):
    client = Client()
    assert client.login(username="dispatcher", password="pass-dispatcher")
    for page in ("/appeals/", "/command/", "/accounts/login/"):
        html = client.get(page).content.decode()
        icons = re.findall(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
        assert icons == ["/static/web/favicon.svg"], page
    assert finders.find("web/favicon.svg")
    redirect = client.get("/favicon.ico")
    assert redirect.status_code == 301 and redirect["Location"] == "/static/web/favicon.svg"
    svg = client.get("/static/web/favicon.svg")
    assert svg.status_code == 200 and b"<svg" in b"".join(svg.streaming_content)
