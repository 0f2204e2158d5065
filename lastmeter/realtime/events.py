"""Websocket group names, and publishing live events to them after the transaction commits.

Every group name is made here and nowhere else: the command centre (``COMMAND_GROUP``), one
person's devices (``person_group``), a grid's people (``grid_group``), a department's liaisons
(``department_group``) and the members of one incident's command group (``cgroup_group``).

Services call `publish_after_commit`; if the transaction rolls back, nothing is sent, so a
screen never shows a change the database does not have.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

log = logging.getLogger(__name__)

COMMAND_GROUP = "command"  # the command centre and dispatchers


def person_group(person_id: int) -> str:
    return f"person.{person_id}"


def grid_group(grid_id: int) -> str:
    return f"grid.{grid_id}"


def department_group(department_id: int) -> str:
    return f"department.{department_id}"


CGROUP_PREFIX = "cgroup."  # clients ask to join "cgroup.<id>" (realtime.consumers checks membership)


def cgroup_group(group_id: int) -> str:
    """The websocket group of one command group's members."""
    return f"{CGROUP_PREFIX}{group_id}"


# Command groups belong to dispatching, a floor above realtime: dispatching registers here, at app
# start-up, the function that lists the open command groups a person is a member of, so the
# consumer can check membership without importing upwards.
CommandGroupLookup = Callable[[int], list[int]]
_command_group_lookups: list[CommandGroupLookup] = []


def register_command_group_lookup(lookup: CommandGroupLookup) -> None:
    """Called from an AppConfig.ready(); registering the same function twice is a no-op."""
    if lookup not in _command_group_lookups:
        _command_group_lookups.append(lookup)


def command_group_ids_for(person_id: int) -> list[int]:
    """Open command groups the person belongs to, by every registered lookup (none: no groups)."""
    ids: set[int] = set()
    for lookup in _command_group_lookups:
        ids.update(lookup(person_id))
    return sorted(ids)


# What a client should be sent again when it (re)connects: events it may have missed while it was
# away (a dropped network, a Redis outage during which nothing could be pushed) that still matter
# now — the open SOS alarms. The apps that own such state register a provider from their
# AppConfig.ready() (dispatching: a floor above); each gets the connecting user and returns
# (event, payload) pairs shaped like the live events, so a client handles them the same way.
CatchUpProvider = Callable[[Any], list[tuple[str, dict[str, Any]]]]
_catch_up_providers: list[CatchUpProvider] = []


def register_catch_up(provider: CatchUpProvider) -> None:
    """Called from an AppConfig.ready(); registering the same function twice is a no-op."""
    if provider not in _catch_up_providers:
        _catch_up_providers.append(provider)


def catch_up_for(user: Any) -> list[tuple[str, dict[str, Any]]]:
    """Every registered provider's events for ``user``, JSON-ready. Reads the database."""
    events: list[tuple[str, dict[str, Any]]] = []
    for provider in _catch_up_providers:
        events += [(event, _jsonable(payload)) for event, payload in provider(user)]
    return events


def _jsonable(payload: dict[str, Any]) -> dict[str, Any]:
    import json

    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


def send_now(group: str, event: str, payload: dict[str, Any]) -> None:
    """Publish one event to a group. On a shared channel layer (Redis: a deployment) the event is
    handed to this process's publisher thread and this returns at once — a request or a job never
    waits on Redis for a live event (under load that wait held the request's database connection);
    the in-memory layer (tests, the embedded default) is served by this process's own event loop
    and is sent to directly."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "lastmeter.event", "event": event, "payload": _jsonable(payload)}
    if not isinstance(layer, InMemoryChannelLayer):
        publisher.submit(group, message)
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # a dead channel layer must not break the write that already committed
        log.exception("could not publish %s to %s", event, group)


class Publisher:
    """One daemon thread per process with an event loop of its own, sending live events to the
    channel layer one after another, in the order they were submitted (a unit's positions arrive
    in order). Its Redis connections belong to its loop and are reused; a publish from a worker's
    thread used to open a loop — and a connection pool — of its own every time.

    Live events are best effort by design: an event still queued when the process stops is lost,
    as one published during a Redis outage is, and clients catch up when they reconnect
    (``catch_up_for``); an event that fails is logged and the next one is tried."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[tuple[str, dict[str, Any]]] | None = None
        self._submitted = 0
        self._sent = 0

    def submit(self, group: str, message: dict[str, Any]) -> None:
        loop, queue = self._started()
        with self._lock:
            self._submitted += 1
        loop.call_soon_threadsafe(queue.put_nowait, (group, message))

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until every event submitted so far has been sent or has failed (tests, shutdown)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if self._sent >= self._submitted:
                    return True
            time.sleep(0.01)
        return False

    def _started(self) -> tuple[asyncio.AbstractEventLoop, asyncio.Queue[tuple[str, dict[str, Any]]]]:
        with self._lock:
            if self._loop is None or self._queue is None:
                ready = threading.Event()
                threading.Thread(
                    target=self._run, args=(ready,), name="lastmeter-publisher", daemon=True
                ).start()
                ready.wait()
            assert self._loop is not None and self._queue is not None
            return self._loop, self._queue

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._queue = asyncio.Queue()
        self._loop = loop
        ready.set()
        loop.run_until_complete(self._send_forever(self._queue))

    async def _send_forever(self, queue: asyncio.Queue[tuple[str, dict[str, Any]]]) -> None:
        layer = get_channel_layer()
        while True:
            group, message = await queue.get()
            try:
                await layer.group_send(group, message)
            except Exception:  # Redis away: this event is lost, the clients catch up on reconnect
                log.exception("could not publish %s to %s", message.get("event"), group)
            finally:
                with self._lock:
                    self._sent += 1


publisher = Publisher()


def publish_after_commit(groups: list[str], event: str, payload: dict[str, Any]) -> None:
    def _send() -> None:
        for group in groups:
            send_now(group, event, payload)

    transaction.on_commit(_send)
