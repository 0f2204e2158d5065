"""Processing: retries after failures, nothing half-written, duplicates, staff reversals, imports."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lastmeter.appeals.models import Appeal, AppealEvent, Subscription
from lastmeter.intake import services
from lastmeter.intake.channels.base import InboundMessage
from lastmeter.intake.models import InboundItem
from lastmeter.lib.fieldcrypt import phone_hash
from lastmeter.testing.world import POINT_IN_A
from lastmeter.triage.models import TriageLabel

pytestmark = pytest.mark.django_db


def chat(text: str, *, sender="u1", message_id="m1", chat_id="g1", **kw) -> InboundMessage:
    return InboundMessage(
        channel="chat_import",
        text=text,
        sender_id=sender,
        sender_name=sender,
        chat_id=chat_id,
        message_id=message_id,
        is_group=True,
        **kw,
    )


def file(msg: InboundMessage, key: str):
    return services.submit(msg, key=key, body=msg.text.encode())[0]


def test_it_keeps_a_failed_item_pending_with_nothing_half_written_and_retries_it(world, settings):
    settings.LASTMETER_BACKOFF_S, settings.LASTMETER_MAX_ATTEMPTS = 0.0, 2
    boom = mock.patch("lastmeter.appeals.services.do_create_appeal", side_effect=RuntimeError("db hiccup"))
    with boom:
        item = file(chat("福州路有车辆违停，堵住了小区出口"), "k1")
    assert item.status == "pending" and item.attempts == 1 and "db hiccup" in item.last_error
    assert Appeal.objects.count() == 0 and not item.decisions.exists()
    assert services.process_pending() == {"done": 1, "retry": 0, "failed": 0, "rejected": 0}
    item.refresh_from_db()
    assert item.status == "done" and Appeal.objects.count() == 1


def test_it_parks_an_item_after_the_last_attempt_and_requeues_it_on_demand(world, settings, capsys):
    settings.LASTMETER_BACKOFF_S, settings.LASTMETER_MAX_ATTEMPTS = 0.0, 2
    with mock.patch("lastmeter.appeals.services.do_create_appeal", side_effect=RuntimeError("down")):
        item = file(chat("九江路噪音扰民到凌晨两点"), "k2")
        services.process_pending()
    item.refresh_from_db()
    assert item.status == "failed" and item.attempts == 2
    call_command("intake", "retry", "--failed")
    assert '"done": 1' in capsys.readouterr().out
    assert InboundItem.objects.get().appeal is not None


def test_it_subscribes_the_reporter_of_a_duplicate_to_the_open_appeal(world, new_appeal):
    first = new_appeal(text="福州路小区出口有车辆违停，堵住了出口", lat=None, lon=None)
    item = file(chat("福州路小区出口有车辆违停，堵住出口了", sender="u9"), "k3")
    assert item.decision == "duplicate" and item.appeal == first
    sub = Subscription.objects.get(appeal=first)
    assert sub.name == "u9" and item.subscription == sub
    assert AppealEvent.objects.filter(appeal=first, kind="duplicate").exists()
    assert Appeal.objects.count() == 1


def test_it_turns_a_follow_up_from_the_same_reporter_into_an_update(world):
    file(chat("汉口路路灯坏了，晚上很黑", message_id="a"), "k4")
    item = file(chat("补充：是汉口路200号门口那盏", message_id="b"), "k5")
    assert item.decision == "update" and Appeal.objects.count() == 1


def test_it_lets_staff_reverse_nothing_into_an_appeal_and_records_a_label(world):
    item = file(chat("你们看看这个"), "k6")
    assert item.decision == "nothing"
    with pytest.raises(services.appeal_services.NotAllowed):
        services.do_reverse(world.scope(world.grid_officer), item.pk, to="new_appeal", reason="x")
    services.do_reverse(world.scope(world.dispatcher), item.pk, to="new_appeal", reason="it is a complaint")
    item.refresh_from_db()
    assert item.decision == "new_appeal" and item.appeal is not None
    assert [d.decision for d in item.decisions.all()] == ["nothing", "new_appeal"]
    assert item.decisions.last().by == world.dispatcher
    assert TriageLabel.objects.get(task="appeal_or_not").label == "appeal"


def test_it_lets_staff_separate_a_duplicate_into_its_own_appeal(world, new_appeal):
    first = new_appeal(text="福州路小区出口有车辆违停，堵住了出口", lat=None, lon=None)
    item = file(chat("福州路小区出口有车辆违停，堵住出口了", sender="u9"), "k7")
    services.do_reverse(world.scope(world.dispatcher), item.pk, to="new_appeal", reason="different exit")
    item.refresh_from_db()
    assert item.appeal != first and not Subscription.objects.filter(appeal=first).exists()
    assert Appeal.objects.count() == 2


def test_it_lets_staff_turn_a_wrong_appeal_into_nothing(world):
    item = file(chat("河南中路有车违停"), "k8")
    appeal = item.appeal
    services.do_reverse(world.scope(world.dispatcher), item.pk, to="nothing", reason="a joke")
    appeal.refresh_from_db()
    assert appeal.state == "closed" and InboundItem.objects.get().decision == "nothing"
    with pytest.raises(services.appeal_services.ServiceError):
        services.do_reverse(world.scope(world.dispatcher), item.pk, to="duplicate", reason="x")


def test_it_rejects_an_item_with_invalid_coordinates_without_retrying(world):
    msg = InboundMessage(channel="api", text="违停", lat=120.0, lon=10.0)
    item = file(msg, "k9")
    assert item.status == "rejected" and "latitude" in item.decision_reason


def test_it_imports_a_day_of_chat_into_appeals_updates_and_nothing(world, tmp_path, capsys):
    export = tmp_path / "group.txt"
    export.write_text(
        "2026-11-20 08:01 张三: @社区民警 福州路小区门口有车辆违停，堵住了出口\n"
        "2026-11-20 08:03 李四: 早上好\n"
        "2026-11-20 08:05 张三: 补充：车牌是沪A12345，还在\n"
        "2026-11-20 08:30 王五: 谢谢民警同志！\n"
        "2026-11-20 09:10 赵六: 九江路那边晚上噪音扰民，\n"
        "一直到两点\n",
        encoding="utf-8",
    )
    call_command("intake", "import-chat", str(export), "--group", "福州路邻里群")
    out = capsys.readouterr().out
    assert Appeal.objects.count() == 2
    decisions = list(InboundItem.objects.order_by("id").values_list("decision", flat=True))
    assert decisions == ["new_appeal", "nothing", "update", "nothing", "new_appeal"]
    assert "两点" in Appeal.objects.get(text__contains="九江路").text  # continuation line kept
    call_command("intake", "import-chat", str(export), "--group", "福州路邻里群")
    assert "already imported" in capsys.readouterr().out and Appeal.objects.count() == 2
    assert out


def test_it_refuses_an_unreadable_chat_export_with_exit_code_2(world, tmp_path):
    bad = tmp_path / "gbk.txt"
    bad.write_bytes("2026-11-20 08:01 张三: 违停".encode("gbk"))
    with pytest.raises(CommandError) as exc:
        call_command("intake", "import-chat", str(bad), "--group", "g")
    assert exc.value.returncode == 2 and "UTF-8" in str(exc.value)


def test_it_imports_call_logs_and_refuses_a_file_with_a_bad_row(world, tmp_path, capsys):
    good = tmp_path / "calls.csv"
    good.write_text(
        "call_id,time,caller,phone,summary,address,lat,lon\n"
        f"C1,2026-11-20 09:00,陈先生,13800001111,小区门口违停,福州路,{POINT_IN_A[0]},{POINT_IN_A[1]}\n"
        "C2,2026-11-20 09:30,周女士,13800002222,楼上漏水,,,\n",
        encoding="utf-8",
    )
    call_command("intake", "import-calls", str(good))
    assert Appeal.objects.filter(channel="hotline").count() == 2
    assert Appeal.objects.get(reporter_phone_hash=phone_hash("13800001111")).grid == world.grid_a
    bad = tmp_path / "bad.csv"
    bad.write_text("call_id,summary,lat,lon\nC3,噪音,999,1\nC4,,,\n", encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("intake", "import-calls", str(bad))
    assert exc.value.returncode == 2 and "line 2" in str(exc.value) and "line 3" in str(exc.value)
    assert Appeal.objects.count() == 2
