"""A missing-person alert in the browser: the officer writes it, a leader approves it, it is
delivered to the groups (loopback fakes), a group member's reply comes back as a sighting on the
officer's page, and the officer stands it down to the same audience."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from lastmeter.appeals.notify.outbox import deliver_due
from lastmeter.broadcasts.models import Alert
from lastmeter.broadcasts.tests.test_alerts import JPEG
from lastmeter.intake.channels.base import InboundMessage
from lastmeter.intake.services import submit
from lastmeter.testing.servers import session_cookie, wait_for_database_quiet
from lastmeter.testing.world import POINT_IN_A

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WAIT_MS = 30_000


@pytest.fixture
def pages(browser, live_server_url):
    contexts = []

    def open_(person):
        ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        contexts.append(ctx)
        ctx.add_cookies([{"name": "sessionid", "value": session_cookie(person.user), "url": live_server_url}])
        return ctx.new_page()

    yield open_
    for ctx in contexts:
        ctx.close()
    wait_for_database_quiet()


def test_a_missing_person_alert_from_creation_to_stand_down(
    pages, live_server_url, world, groups, platforms, tmp_path
):
    officer = pages(world.grid_officer)
    officer.goto(live_server_url + "/broadcasts/alerts/new/")
    officer.select_option("select[name='kind']", "lost_elderly")
    officer.fill("input[name='headline']", "寻找走失老人 张大爷")
    officer.fill("textarea[name='description']", "男，78岁，穿灰色外套，有认知障碍。")
    photo = tmp_path / "zhang.jpg"
    photo.write_bytes(JPEG)
    officer.set_input_files("input[name='photo']", str(photo))
    seen = timezone.localtime(timezone.now() - timedelta(hours=1))
    officer.fill("input[name='last_seen_at']", seen.strftime("%Y-%m-%dT%H:%M"))
    officer.fill("input[name='last_seen_place']", "福州路菜市场")
    officer.fill("input[name='lat']", str(POINT_IN_A[0]))
    officer.fill("input[name='lon']", str(POINT_IN_A[1]))
    officer.fill("input[name='radius_m']", "300")
    officer.click("button[name='save']")
    officer.wait_for_selector("[data-testid='state']:has-text('草稿')", timeout=WAIT_MS)
    alert = Alert.objects.get()
    assert alert.photo and alert.author == world.grid_officer
    officer.click("button[data-action='submit']")
    officer.wait_for_selector("[data-testid='state']:has-text('待领导审批')", timeout=WAIT_MS)
    assert officer.query_selector("button[data-action='approve']") is None  # not the author's to approve

    leader = pages(world.leader)
    leader.goto(f"{live_server_url}/broadcasts/alerts/{alert.pk}/")
    leader.click("button[data-action='approve']")
    leader.wait_for_selector("[data-testid='state']:has-text('生效中')", timeout=WAIT_MS)
    assert "王所长" in leader.inner_text("body")

    assert deliver_due()["sent"] == 4  # the four groups of community A; SMS rows are logged
    assert all("张大爷" in str(seen.body) for p in platforms.accepted.values() for seen in p)

    reply = InboundMessage(
        channel="telegram",
        text="我看到了，10:30在人民广场地铁站",
        chat_id="chat-telegram",
        sender_name="老李",
    )
    submit(reply, key="tg-reply-1", body=b"{}")
    officer.reload()
    sightings = officer.inner_text("[data-testid='sightings']")
    assert "人民广场地铁站" in sightings and "老李" in sightings and "10:30" in sightings

    officer.fill("input[name='outcome']", "已找到，平安")
    officer.click("button[data-action='close']")
    officer.wait_for_selector("[data-testid='state']:has-text('已解除')", timeout=WAIT_MS)
    # the same groups again: their robots' pace (20 a minute) holds the stand-down a few seconds
    with time_machine.travel(timezone.now() + timedelta(seconds=10)):
        assert deliver_due()["sent"] == 4
    assert sum(len(p) for p in platforms.accepted.values()) == 8
    assert "已找到，平安" in str(platforms.accepted["wecom"][-1].body)
    public = pages(world.grid_officer)
    public.goto(f"{live_server_url}/broadcasts/alerts/p/{alert.public_token}/")
    assert "已解除" in public.inner_text("body")
