"""Live events on a shared channel layer (Redis) leave from the process's publisher thread, in the
order they were published, without the publishing request or job waiting for Redis.

Runs only when REDIS_URL is set (the in-memory layer of the embedded default is sent to directly)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from channels.layers import get_channel_layer
from django.conf import settings

from lastmeter.realtime.events import publisher, send_now

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_layer():
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: the publisher thread serves the Redis channel layer")
    return get_channel_layer()


def test_it_sends_events_from_its_thread_in_the_order_they_were_published(redis_layer):
    group = f"test.publisher.{uuid.uuid4().hex}"

    async def listen_then_publish() -> list[int]:
        channel = await redis_layer.new_channel()
        await redis_layer.group_add(group, channel)
        submitted_before = publisher._submitted
        for n in range(30):
            send_now(group, "unit.position", {"n": n})  # returns before Redis has it
        assert publisher._submitted == submitted_before + 30  # handed to the thread, not sent here
        received = []
        for _ in range(30):
            message = await asyncio.wait_for(redis_layer.receive(channel), 10)
            assert message["event"] == "unit.position"
            received.append(message["payload"]["n"])
        await redis_layer.group_discard(group, channel)
        return received

    assert asyncio.run(listen_then_publish()) == list(range(30))
    assert publisher.flush(5)
