"""Scale-out on loopback: two ASGI servers share Redis (channel layer) and the database; an event
raised through one reaches a websocket client connected to the other.

Runs only when REDIS_URL is set. With CI=true, an unreachable Redis is a failure, not a skip: CI
promises Redis, and a silently skipped scale-out test would hide a broken setup.
"""

from __future__ import annotations

import asyncio
import json
import os

import httpx
import pytest
from django.conf import settings

from lastmeter.accounts.auth import issue_token
from lastmeter.realtime.events import COMMAND_GROUP
from lastmeter.testing.servers import servers, session_cookie
from lastmeter.testing.world import POINT_IN_A, build_world

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_url() -> str:
    url = settings.REDIS_URL
    if not url:
        pytest.skip("REDIS_URL is not set: the two-server test needs a shared Redis")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except Exception as exc:
        message = f"REDIS_URL={url} is set but Redis does not answer: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return url


async def _wait_for(ws, event: str, timeout_s: float = 10.0) -> dict:
    async def loop() -> dict:
        while True:
            msg = json.loads(await ws.recv())
            if msg["event"] == event:
                return msg["payload"]

    return await asyncio.wait_for(loop(), timeout_s)


async def _listen_then(server, cookie: str, event: str, act) -> dict:
    """Connect to `server` as the cookie's user, run `act()` once subscribed, return the event."""
    from websockets.asyncio.client import connect

    async with connect(
        server.ws_url, origin=server.base_url, additional_headers={"Cookie": f"sessionid={cookie}"}
    ) as ws:
        hello = await _wait_for(ws, "hello")
        assert COMMAND_GROUP in hello["groups"]
        await act()
        return await _wait_for(ws, event)


def test_it_carries_events_between_two_servers_through_redis(redis_url):
    world = build_world()
    dispatcher_cookie = session_cookie(world.dispatcher.user)
    officer_token = issue_token(world.grid_officer, "phone")
    dispatcher_token = issue_token(world.dispatcher, "console")

    with servers(2, env={"REDIS_URL": redis_url}) as (a, b):

        async def file_appeal_on_a() -> None:
            async with httpx.AsyncClient(base_url=a.base_url, timeout=10) as http:
                r = await http.post(
                    "/api/v1/appeals",
                    headers={"Authorization": f"Bearer {dispatcher_token}"},
                    json={
                        "channel": "hotline",
                        "text": "两台服务器之间的诉求",
                        "lat": POINT_IN_A[0],
                        "lon": POINT_IN_A[1],
                    },
                )
                assert r.status_code == 201, r.text

        created = asyncio.run(_listen_then(b, dispatcher_cookie, "appeal.created", file_appeal_on_a))
        assert created["lat"] == POINT_IN_A[0]

        async def raise_sos_on_b() -> None:
            async with httpx.AsyncClient(base_url=b.base_url, timeout=10) as http:
                r = await http.post(
                    "/api/v1/sos",
                    headers={"Authorization": f"Bearer {officer_token}"},
                    json={"lat": POINT_IN_A[0], "lon": POINT_IN_A[1]},
                )
                assert r.status_code == 201, r.text

        alarm = asyncio.run(_listen_then(a, dispatcher_cookie, "sos.raised", raise_sos_on_b))
        assert alarm["person"]["id"] == world.grid_officer.pk
