"""Retention: a finished appeal's personal data is gone after LASTMETER_RETENTION_DAYS — its
reporter's name and number, the photos (files on disk too), the chat text behind it — every
erasure is in the access log, and the figures are exactly what they were.

The figures are compared the way the stats tests hold the rollup to a recomputation from raw rows
(``stats/tests/test_rollups.py``), on generated history (written with COPY/INSERT, so its names
and numbers are encrypted by the writer) plus appeals made through the real services and intake.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from lastmeter.accounts.models import AccessLog
from lastmeter.appeals import services
from lastmeter.appeals.choices import AppealState
from lastmeter.appeals.models import Appeal, AppealEvent, AppealMedia, Rating, Subscription
from lastmeter.appeals.notify.outbox import deliver_due
from lastmeter.demo.history_writer import generate_history
from lastmeter.intake.channels.base import InboundMessage
from lastmeter.intake.models import InboundItem
from lastmeter.intake.services import submit
from lastmeter.lib.fieldcrypt import phone_hash
from lastmeter.ops.retention import ERASED, run_retention
from lastmeter.stats.rollups import refresh
from lastmeter.stats.tests.test_rollups import (
    area_rolled_up,
    assert_rollups_equal_recomputation,
    bins_rolled_up,
    rolled_up,
    rolled_up_times,
    transfer_spans_rolled_up,
)

PHONE, NAME, WORDS = "13955556666", "钱先生", "我家楼下每晚烧烤油烟很大"
# Every table with rows about one appeal, and the column naming it.
RAW_ROWS = [
    ("appeals_appeal", "id"),
    ("appeals_appealevent", "appeal_id"),
    ("appeals_outboxmessage", "appeal_id"),
    ("appeals_rating", "appeal_id"),
    ("intake_inbounditem", "appeal_id"),
]


def figures() -> dict[str, object]:
    """Every rollup the dashboards read: per day and key, per area, times, transfers, histograms."""
    return {
        "days": rolled_up(),
        "areas": area_rolled_up(),
        "times": rolled_up_times(),
        "transfers": transfer_spans_rolled_up(),
        "bins": bins_rolled_up(),
    }


def from_the_chat(world, text: str, key: str) -> Appeal:
    msg = InboundMessage(
        channel="web",
        text=text,
        sender_id="resident-7",
        sender_name=NAME,
        phone=PHONE,
        lat=31.2304,
        lon=121.4737,
    )
    item, _created = submit(msg, key=key, body=json.dumps({"text": text, "phone": PHONE}).encode())
    item.refresh_from_db()
    assert item.appeal is not None
    return item.appeal


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.mark.django_db
def test_it_erases_personal_data_of_old_finished_appeals_and_keeps_the_figures(
    world, settings, media_root, django_capture_on_commit_callbacks
):
    settings.LASTMETER_RETENTION_DAYS = 30
    dispatcher = world.scope(world.dispatcher)
    with time_machine.travel("2026-01-05 10:00 +0800", tick=False) as clock:
        generate_history(300, years=0.1, seed=7)
        old = from_the_chat(world, WORDS, "retention-old")
        photo = AppealMedia.objects.create(appeal=old, content_type="image/jpeg")
        photo.file.save("old.jpg", ContentFile(b"\xff\xd8 a photo of the reporter's door"))
        Subscription.objects.create(appeal=old, name="邻居", phone="13800001234", channel="web")
        Rating.objects.create(appeal=old, score=2, comment=f"请打{PHONE}联系我")
        services.do_close(dispatcher, old.pk, reason="已处理")
        clock.shift(timedelta(days=20))
        recent = from_the_chat(world, "九江路夜间施工噪音", "retention-recent")
        services.do_close(dispatcher, recent.pk, reason="已处理")
        still_open = from_the_chat(world, "福州路路灯不亮", "retention-open")
        clock.shift(timedelta(days=25))  # old: closed 45 days ago; recent: 25 days ago
        deliver_due()  # the acknowledgements went out long ago (the outbox keeps a copy)
        refresh()
        before = figures()
        photo_path = Path(photo.file.path)
        assert photo_path.exists()
        due = Appeal.objects.filter(
            state__in=[AppealState.CLOSED, AppealState.MERGED],
            state_changed_at__lte=timezone.now() - timedelta(days=30),
        )
        history_due = due.exclude(pk=old.pk).count()
        assert history_due > 10  # generated history has finished appeals this old

        assert run_retention(dry_run=True).due == history_due + 1
        assert not Appeal.objects.exclude(personal_data_erased_at=None).exists()  # a dry run erases nothing

        with django_capture_on_commit_callbacks(execute=True):  # the files go after the commit
            run = run_retention()
        assert run.erased == history_due + 1 and run.rows["photos"] == 1 and run.rows["messages"] > 0
        assert run_retention().erased == 0  # running it again finds nothing more to do
        refresh()
        after = figures()

    # The figures: exactly the same, and still equal to a recomputation from the raw rows.
    assert after == before
    assert_rollups_equal_recomputation(world)

    # The personal data: gone from the rows, the lookups and the disk.
    old.refresh_from_db()
    assert (old.reporter_name, old.reporter_phone, old.reporter_phone_hash, old.text) == ("", "", "", "")
    assert old.personal_data_erased_at is not None and old.state == AppealState.CLOSED
    assert not Appeal.objects.filter(reporter_phone_hash=phone_hash(PHONE), pk=old.pk).exists()
    assert not AppealMedia.objects.filter(appeal=old).exists() and not photo_path.exists()
    assert not Subscription.objects.filter(appeal=old).exists()
    assert Rating.objects.get(appeal=old).comment == "" and Rating.objects.get(appeal=old).score == 2
    assert all(WORDS not in e.note for e in AppealEvent.objects.filter(appeal=old))
    item = InboundItem.objects.get(appeal=old)
    assert bytes(item.body) == b"" and item.normalised == {} and item.sender_id == ""
    # ... and from every row about it, as a copy of the database would show them.
    with connection.cursor() as cursor:
        for table, key in RAW_ROWS:
            cursor.execute(f"SELECT * FROM {table} WHERE {key} = %s", [old.pk])
            rows = cursor.fetchall()
            assert rows, table
            dump = repr([bytes(v) if isinstance(v, memoryview) else v for row in rows for v in row])
            for secret in (WORDS, PHONE, NAME, repr(PHONE.encode())[2:-1]):
                assert secret not in dump, (table, secret)

    # The appeals not yet due keep theirs: closed too recently, or still open.
    for kept in (recent, still_open):
        kept.refresh_from_db()
        assert kept.reporter_phone == PHONE and kept.personal_data_erased_at is None
        assert bytes(InboundItem.objects.get(appeal=kept).body) != b""

    # Each erasure is in the access log, with what was erased and why.
    entries = AccessLog.objects.filter(what=ERASED)
    assert entries.count() == history_due + 1
    entry = entries.get(object_type="appeals.appeal", object_id=str(old.pk))
    assert "30 days" in entry.why and "photos 1" in entry.why and entry.person is None


@pytest.mark.django_db
def test_it_runs_as_a_command_with_a_dry_run(world, settings, media_root, capsys):
    settings.LASTMETER_RETENTION_DAYS = 7
    dispatcher = world.scope(world.dispatcher)
    with time_machine.travel("2026-02-01 09:00 +0800", tick=False) as clock:
        appeal = from_the_chat(world, WORDS, "retention-cmd")
        services.do_close(dispatcher, appeal.pk, reason="已处理")
        clock.shift(timedelta(days=8))
        call_command("retention", "--dry-run")
        out = capsys.readouterr().out
        assert "1 appeals" in out and "nothing erased" in out
        appeal.refresh_from_db()
        assert appeal.reporter_phone == PHONE
        call_command("retention")
        assert "erased 1 appeals" in capsys.readouterr().out
    appeal.refresh_from_db()
    assert appeal.reporter_phone == "" and appeal.personal_data_erased_at is not None


@pytest.mark.django_db
def test_it_leaves_an_appeal_reopened_before_its_turn(world, settings, media_root):
    """A reopened appeal is no longer finished: the run that found it due skips it."""
    settings.LASTMETER_RETENTION_DAYS = 7
    dispatcher = world.scope(world.dispatcher)
    with time_machine.travel("2026-02-01 09:00 +0800", tick=False) as clock:
        appeal = from_the_chat(world, WORDS, "retention-reopen")
        services.do_close(dispatcher, appeal.pk, reason="已处理")
        clock.shift(timedelta(days=8))
        services.do_reopen(dispatcher, appeal.pk, reason="居民说问题又出现了")
        assert run_retention().erased == 0
    appeal.refresh_from_db()
    assert appeal.reporter_phone == PHONE


@pytest.mark.django_db
def test_it_erases_what_residents_sent_that_became_no_appeal_after_its_own_period(world, settings):
    """Group-chat chatter (and refused items) keep their row — it refuses a late redelivery — but
    not what was said, after LASTMETER_INBOUND_RETENTION_DAYS; an item that became an appeal waits
    for its appeal."""
    settings.LASTMETER_INBOUND_RETENTION_DAYS = 30
    settings.LASTMETER_RETENTION_DAYS = 365
    # A sticker in the neighbourhood group: decided "nothing", tied to no appeal.
    chatter = InboundMessage(
        channel="telegram",
        kind="sticker",
        text="",
        chat_id="-1001234",
        sender_id="resident-9",
        sender_name=NAME,
        phone=PHONE,
    )
    with time_machine.travel("2026-03-01 09:00 +0800", tick=False) as clock:
        old_item, _ = submit(chatter, key="chatter-old", body=json.dumps({"sticker": PHONE}).encode())
        appeal = from_the_chat(world, WORDS, "retention-linked")
        clock.shift(timedelta(days=20))
        recent_item, _ = submit(chatter, key="chatter-recent", body=b'{"text": "recent"}')
        clock.shift(timedelta(days=15))  # the first items: 35 days old; the recent one: 15
        for item in (old_item, recent_item):
            item.refresh_from_db()
            assert item.appeal is None and item.status != "pending"  # chatter: decided, no appeal
        run = run_retention()
        assert run.kinds["inbound items without an appeal"].erased == 1
        assert run_retention().kinds["inbound items without an appeal"].erased == 0  # nothing twice
        # A late redelivery of the erased item is still refused as a duplicate: its row stays.
        again, created = submit(chatter, key="chatter-old", body=b'{"text": "again"}')
    assert not created and again.pk == old_item.pk
    old_item.refresh_from_db()
    assert bytes(old_item.body) == b"" and old_item.normalised == {} and old_item.sender_id == ""
    recent_item.refresh_from_db()
    assert bytes(recent_item.body) != b"" and recent_item.normalised != {}
    linked = InboundItem.objects.get(appeal=appeal)
    assert bytes(linked.body) != b""  # goes with its appeal, a year after it is finished
    entry = AccessLog.objects.get(what=ERASED, object_id=str(old_item.pk))
    assert entry.object_type == "intake.inbounditem" and "received more than 30 days ago" in entry.why
