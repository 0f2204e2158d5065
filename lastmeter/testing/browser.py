"""Browser-test fixtures: Playwright drives Debian's chromium against a uvicorn test server.

Imported into lastmeter/conftest.py, so every browser test module (web, planning) shares them:
- ``chromium``: the browser binary and the built vendor files (Leaflet, ECharts from `make static`);
  missing either fails under CI=true and skips otherwise;
- ``live_server_url``: one uvicorn per test process over the test database (lastmeter.testing.servers);
- ``browser``: a launched chromium, for one test module at a time (see the fixture's comment).

Tests that use them commit their data (``django_db(transaction=True)``) and call
``wait_for_database_quiet()`` after closing their pages, before the flush.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

from lastmeter.testing.servers import AsgiServer, wait_for_sessions_gone

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing that reaches the network on its own (updates, sync, first-run pages).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _missing(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def vendor_files_built() -> bool:
    """Leaflet is served from node_modules_static/ (settings.STATICFILES_DIRS), built by `make static`."""
    return any((Path(d) / "vendor" / "leaflet" / "leaflet.js").exists() for d in settings.STATICFILES_DIRS)


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        _missing("browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    if not vendor_files_built():
        _missing("browser tests need the map libraries: run `make static` (npm ci)")
    return CHROMIUM


@pytest.fixture(scope="session")
def live_server_url(django_db_setup, django_db_blocker):
    """One uvicorn per test process, over the test database."""
    with django_db_blocker.unblock():
        server = AsgiServer()
    server.start()
    yield server.base_url
    server.stop()
    with django_db_blocker.unblock():
        wait_for_sessions_gone()


@pytest.fixture(scope="module")
def browser(chromium):
    # Playwright's sync API keeps an event loop running in this thread while it is started, so it
    # lives for one module only: asyncio tests that the same worker runs later need the thread free.
    # The ORM calls the tests make between browser steps are ordinary synchronous calls, so Django's
    # async guard is lifted for them, and put back afterwards.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
            yield b
            b.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
