"""The live pages say when the demo simulates, and what; LASTMETER_DEMO_SIMULATION=0 turns it off."""

from __future__ import annotations

import threading

import pytest
from django.test import Client

from lastmeter.demo.live import start_demo
from lastmeter.web import simulation


@pytest.fixture(autouse=True)
def _no_simulation_left():
    simulation.withdraw()
    yield
    simulation.withdraw()


def _page(person, path: str) -> str:
    client = Client()
    client.force_login(person.user)
    return client.get(path).content.decode()


def test_it_tells_the_command_centre_and_the_phone_what_is_simulated(world, settings):
    settings.LASTMETER_DEMO_SIMULATION = True
    stop = threading.Event()
    stop.set()  # the thread stops at once: only the announcement matters here
    thread = start_demo(stop)
    assert thread is not None
    thread.join(timeout=10)
    for person, path in ((world.dispatcher, "/command/"), (world.grid_officer, "/phone/")):
        page = _page(person, path)
        assert 'data-testid="simulation-note"' in page, path
        note = page.split('data-testid="simulation-note"', 1)[1].split("</details>", 1)[0]
        assert "本页部分动态为模拟数据" in note
        assert "巡逻警力沿真实道路行驶" in note and "约每 45 秒收到一条新诉求" in note
        assert (
            "约每 2.5 分钟产生一起警情" in note and "约每 5 分钟有一名民警按下 SOS，2 分钟后自动解除" in note
        )
        assert "LASTMETER_DEMO_SIMULATION=0" in note


def test_it_says_nothing_when_the_simulation_is_off(world, settings):
    settings.LASTMETER_DEMO_SIMULATION = False
    assert start_demo(threading.Event()) is None
    assert simulation.simulated() == []
    for person, path in ((world.dispatcher, "/command/"), (world.grid_officer, "/phone/")):
        assert 'data-testid="simulation-note"' not in _page(person, path)
