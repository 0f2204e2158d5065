"""Broadcasts keep no phone number in plain text: not in a delivery's destination, the outbox's
key or recipient, nor a sending pace's bucket; delivery, "退订" and a sighting by SMS still find
the number through its keyed hash; rotate-keys covers them; the migration converts old rows both
ways. Raw columns are read with a plain SQL cursor, as a copy of the database would be read."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from lastmeter.appeals.models import OutboxMessage
from lastmeter.appeals.notify.outbox import deliver_due
from lastmeter.broadcasts import services
from lastmeter.broadcasts.models import ChannelPace, Delivery, SmsSubscriber
from lastmeter.broadcasts.tests.conftest import audience, draft
from lastmeter.intake.channels.base import InboundMessage
from lastmeter.intake.services import submit
from lastmeter.lib.fieldcrypt import phone_hash

KEY_ONE, KEY_TWO = Fernet.generate_key().decode(), Fernet.generate_key().decode()
# The subscribers' numbers (conftest) and the volunteer's, as digits: none may appear anywhere.
NUMBERS = ["13912345600", "13912345601", "13912345602", "13700000001"]


def raw(table: str, *columns: str) -> list[str]:
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(q(c) for c in columns)} FROM {q(table)}")
        return [str(v) for row in cursor.fetchall() for v in row if v is not None]


def digits_in_raw_columns() -> str:
    """Every raw value where a number could hide, reduced to its digits (so "137 0000 0001" or
    "+86-137…" would show as well)."""
    values = (
        raw("broadcasts_delivery", "destination", "label", "phone")
        + raw("appeals_outboxmessage", "key", "recipient", "body")
        + raw("broadcasts_channelpace", "bucket")
    )
    return " ".join(re.sub(r"\D", "", v) for v in values)


@pytest.fixture
def keys(settings):
    settings.LASTMETER_FIELD_KEYS = [KEY_ONE]
    settings.LASTMETER_HASH_KEY = "hash-one"
    return settings


@pytest.fixture
def sent(keys, world, subscribers, volunteer):
    """A broadcast to the SMS residents and the volunteers of community A, with one resident who
    subscribed the volunteer's number in another spelling (one message for the two)."""
    SmsSubscriber.objects.create(
        phone="+86 137-0000-0001",
        community=world.community_a,
        opted_in_at=timezone.now(),
        opt_in_channel="sms",
    )
    aud = audience(world, sms_residents=True, volunteers=True, area_groups=False)
    b = services.do_create_broadcast(world.scope(world.grid_officer), draft(aud))
    services.do_submit(world.scope(world.grid_officer), b.pk)
    return b


@pytest.mark.django_db
def test_sms_deliveries_hold_no_number_in_plain_text_and_still_arrive(sent):
    run = sent.runs.get()
    queued = run.deliveries.filter(state="queued")
    assert queued.count() == 4  # three residents and the volunteer
    twin = run.deliveries.get(state="skipped")
    assert "志愿者吴" in twin.reason and twin.phone == "" and twin.phone_hash == ""
    assert {d.destination.split(":")[1] for d in queued} == {"person", "subscriber"}
    digits = digits_in_raw_columns()
    for number in NUMBERS:
        assert number not in digits
    # Read through the models, the numbers are there for the sender.
    assert {d.phone for d in queued} == set(NUMBERS)
    assert {d.phone_hash for d in queued} == {phone_hash(n) for n in NUMBERS}
    assert deliver_due()["logged"] == 4
    messages = OutboxMessage.objects.filter(transport="sms")
    assert {m.recipient["phone"] for m in messages} == set(NUMBERS)
    assert set(messages.values_list("state", flat=True)) == {"logged"}


@pytest.mark.django_db
def test_stop_from_another_spelling_of_the_number_is_honoured_at_the_next_firing(world, sent):
    submit(InboundMessage(channel="sms", text="退订", phone="+86 139-1234-5600"), key="stop-1", body=b"{}")
    assert SmsSubscriber.objects.get(phone_hash=phone_hash("13912345600")).opted_out_at is not None
    again = services.do_create_broadcast(world.scope(world.grid_officer), draft(sent.audience))
    services.do_submit(world.scope(world.grid_officer), again.pk)
    run = again.runs.get()
    assert not run.deliveries.filter(phone_hash=phone_hash("13912345600")).exists()
    assert "退订" in run.deliveries.get(label__contains="5600").reason
    assert run.deliveries.filter(state="queued").count() == 3


@pytest.mark.django_db
def test_the_same_number_is_paced_as_one_whoever_it_belongs_to(world, sent):
    bucket = ChannelPace.objects.get(bucket=f"sms:{phone_hash('13700000001')}")
    assert bucket.next_free_at > timezone.now() - timedelta(minutes=1)
    assert not ChannelPace.objects.filter(bucket__contains="1370000").exists()


@pytest.mark.django_db
def test_rotating_the_keys_rewrites_the_outbox_and_the_deliveries(keys, sent):
    before = raw("appeals_outboxmessage", "recipient") + raw("broadcasts_delivery", "phone")
    keys.LASTMETER_FIELD_KEYS = [KEY_TWO, KEY_ONE]
    keys.LASTMETER_HASH_KEY = "hash-two"
    call_command("rotate_keys")
    keys.LASTMETER_FIELD_KEYS = [KEY_TWO]
    after = raw("appeals_outboxmessage", "recipient") + raw("broadcasts_delivery", "phone")
    tokens = [v for v in after if v]
    assert len(after) == len(before) and not set(tokens) & set(before)
    for token in tokens:
        Fernet(KEY_TWO).decrypt(token.encode())
    assert {m.recipient["phone"] for m in OutboxMessage.objects.filter(transport="sms")} == set(NUMBERS)
    # The hash under the new key finds the delivery (an answer by SMS to an alert goes this way).
    assert Delivery.objects.filter(phone_hash=phone_hash("137 0000 0001")).count() == 1


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    loader = MigrationExecutor(connection).loader
    return loader.project_state(list(loader.applied_migrations)).apps


BEFORE = [("appeals", "0008_personal_data_encrypted"), ("broadcasts", "0003_personal_data_encrypted")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_old_numbers_out_of_destinations_keys_and_buckets_and_back(keys):
    apps = _migrate(BEFORE)
    person = apps.get_model("accounts", "Person").objects.create(name="作者")
    aud = apps.get_model("broadcasts", "Audience").objects.create(name="A")
    b = apps.get_model("broadcasts", "Broadcast").objects.create(
        title="t", template="x", audience=aud, author=person
    )
    run = apps.get_model("broadcasts", "Run").objects.create(broadcast=b, slot="s1", text="x")
    outbox = apps.get_model("appeals", "OutboxMessage")
    now = timezone.now()
    message = outbox.objects.create(
        key=f"broadcast:{b.pk}:s1:sms:13912345600",
        transport="sms",
        recipient={"phone": "13912345600", "subscriber": 1},
        body="x",
        next_attempt_at=now,
    )
    outbox.objects.create(key="other", transport="console", recipient={}, body="y", next_attempt_at=now)
    apps.get_model("appeals", "DeliveryReceipt").objects.create(key=message.key, transport="sms")
    delivery = apps.get_model("broadcasts", "Delivery")
    live = delivery.objects.create(
        run=run, destination="sms:13912345600", label="居民", transport="sms", state="queued", outbox=message
    )
    twin = delivery.objects.create(
        run=run, destination="sms:13912345600#1", label="居民", transport="sms", state="skipped"
    )
    pace = apps.get_model("broadcasts", "ChannelPace")
    pace.objects.create(bucket="sms:13912345600", next_free_at=now)
    pace.objects.create(bucket="sms:139 1234 5600", next_free_at=now + timedelta(minutes=5))
    pace.objects.create(bucket="group:7", next_free_at=now)

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    digits = digits_in_raw_columns() + " " + " ".join(raw("appeals_deliveryreceipt", "key"))
    assert "13912345600" not in digits
    moved = Delivery.objects.get(pk=live.pk)
    assert (moved.destination, moved.phone) == (f"sms:row:{live.pk}", "13912345600")
    assert moved.phone_hash == phone_hash("13912345600")
    assert Delivery.objects.get(pk=twin.pk).phone == ""
    renamed = OutboxMessage.objects.get(pk=message.pk)
    assert renamed.key == f"broadcast:{b.pk}:s1:sms:row:{live.pk}"
    assert renamed.recipient == {"phone": "13912345600", "subscriber": 1}
    assert OutboxMessage.objects.get(key="other").recipient == {}
    merged = ChannelPace.objects.get(bucket=f"sms:{phone_hash('13912345600')}")
    assert merged.next_free_at == now + timedelta(minutes=5)  # the later slot of the two spellings
    assert ChannelPace.objects.count() == 2

    apps = _migrate(BEFORE)
    back = apps.get_model("broadcasts", "Delivery").objects.get(pk=live.pk)
    assert back.destination == "sms:13912345600"
    old_outbox = apps.get_model("appeals", "OutboxMessage").objects.get(pk=message.pk)
    assert old_outbox.key == f"broadcast:{b.pk}:s1:sms:13912345600"
    assert old_outbox.recipient == {"phone": "13912345600", "subscriber": 1}
    assert apps.get_model("appeals", "DeliveryReceipt").objects.get().key == old_outbox.key
    assert list(apps.get_model("broadcasts", "ChannelPace").objects.values_list("bucket", flat=True)) == [
        "group:7"
    ]
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
