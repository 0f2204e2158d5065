"""A webhook stores the raw item and queues its processing, and answers without triaging it: the
appeal and the reporter's acknowledgement are the worker's (issue 15, "Load, measured")."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from lastmeter.appeals.models import Appeal, OutboxMessage
from lastmeter.appeals.notify.outbox import DELIVER_TASK
from lastmeter.intake.models import InboundItem
from lastmeter.intake.services import RETRY_TASK, process_item
from lastmeter.intake.tests.test_telegram import BOT, send, update

pytestmark = pytest.mark.django_db
on_postgres = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the queue is in PostgreSQL")


def jobs_for(item_id: int) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status FROM procrastinate_jobs WHERE task_name = %s AND args @> %s::jsonb",
            [RETRY_TASK, json.dumps({"item_id": item_id})],
        )
        return [status for (status,) in cursor.fetchall()]


def test_it_answers_before_triage_and_the_worker_makes_the_appeal(client, world, intake_conf):
    r = send(client, update(873660001, f"{BOT} 福州路有车辆违停，堵住了小区出口，麻烦处理一下"))
    assert r.status_code == 200, r.content
    item = InboundItem.objects.get()
    # Stored, normalised (the worker does not parse the body again), and nothing decided yet.
    assert item.status == "pending" and item.decision == "" and item.appeal is None
    assert item.normalised["text"].endswith("麻烦处理一下") and item.chat_id == "-1001987654321"
    assert Appeal.objects.count() == 0 and OutboxMessage.objects.count() == 0

    done = process_item(item.pk)  # the job the webhook queued
    assert done.status == "done" and done.decision == "new_appeal"
    assert OutboxMessage.objects.filter(key__startswith=f"intake:{item.pk}:ack").count() == 1
    # The job run twice (a worker died after committing): still one appeal, one acknowledgement.
    process_item(item.pk)
    assert Appeal.objects.count() == 1 and OutboxMessage.objects.filter(appeal=done.appeal).count() == 1


def test_it_still_refuses_an_empty_message_while_the_platform_waits(client, world, intake_conf):
    r = send(client, update(873660002, "   "))
    assert r.status_code == 400 and "empty" in r.json()["detail"]
    item = InboundItem.objects.get()
    assert item.status == "rejected" and "empty" in item.decision_reason
    assert item.dedupe_key == "telegram:update:873660002"  # the platform's id: a retry is the same item


@on_postgres
def test_it_writes_the_processing_job_with_the_item_and_none_for_a_redelivery(client, world, intake_conf):
    payload = update(873660003, f"{BOT} 九江路上有人乱停电动车挡住消防通道")
    assert send(client, payload).status_code == 200
    item = InboundItem.objects.get()
    assert jobs_for(item.pk) == ["todo"]
    r = send(client, payload)
    assert r.status_code == 200 and r.json()["duplicate"] is True
    assert InboundItem.objects.count() == 1 and jobs_for(item.pk) == ["todo"]


@on_postgres
def test_the_reply_is_run_before_items_still_waiting_for_triage(client, world, intake_conf):
    for n, street in enumerate(["福州路", "九江路"]):
        payload = update(873660010 + n, f"{BOT} {street}有车辆违停，堵住了小区出口", message_id=4600 + n)
        assert send(client, payload).status_code == 200
    first, second = InboundItem.objects.order_by("pk")
    assert process_item(first.pk).decision == "new_appeal"  # a worker took the first item
    ack = OutboxMessage.objects.get(key__startswith=f"intake:{first.pk}:ack")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT task_name, args, priority FROM procrastinate_jobs WHERE status = 'todo'"
            " ORDER BY priority DESC, id ASC"
        )
        queue = [
            (task, json.loads(args) if isinstance(args, str) else args, priority)
            for task, args, priority in cursor.fetchall()
        ]
    # The engine's next job is the acknowledgement, though the second item's job is older.
    assert queue[0][:2] == (DELIVER_TASK, {"message_id": ack.pk})
    assert (RETRY_TASK, {"item_id": second.pk}, 0) in queue and queue[0][2] > 0
