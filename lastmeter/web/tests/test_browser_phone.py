"""The officer's phone in a real browser (Playwright driving Debian's chromium against uvicorn), on a
360×740 screen in Chinese, over the test world (two grids around People's Square).

1. An officer walks a new appeal through its whole life on the phone: received → acknowledged →
   contacted → landed (one try from too far away, refused with the distance) → resolved, and calls
   the reporter on the way; the phone offers only what the appeal's state allows.
2. The resident rates the resolution on the tracking page (kept minimal: the rating is being
   reworked elsewhere).
3. SOS is sent only by holding the button, its bar covers no other control, and an acknowledged
   SOS reads "已确认/处置中".
4. The header stays on one line.
"""

from __future__ import annotations

import httpx
import pytest

from lastmeter.accounts.auth import issue_token
from lastmeter.accounts.models import AccessLog
from lastmeter.appeals import services
from lastmeter.appeals.choices import AppealState
from lastmeter.appeals.models import Appeal, LandingProof
from lastmeter.dispatching.choices import SosStatus
from lastmeter.dispatching.models import Assignment, Incident, SosAlarm, Unit
from lastmeter.lib.geo import haversine_m
from lastmeter.testing.servers import session_cookie, wait_for_database_quiet
from lastmeter.testing.world import POINT_IN_A

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_MS = 30_000
SCREEN = {"width": 360, "height": 740}
NEAR = (POINT_IN_A[0] + 0.001, POINT_IN_A[1])  # ≈ 111 m north of the appeal: on site
FAR = (POINT_IN_A[0] + 0.006, POINT_IN_A[1])  # ≈ 667 m north: too far to land


@pytest.fixture
def open_phone(browser, live_server_url):
    """open_phone(person, path="/phone/", lang="zh-hans", where=None) → a logged-in 360×740 page,
    live on the websocket; ``where`` is the (lat, lon) its GPS reports (the page's context is
    ``page.context``, whose ``set_geolocation`` moves it)."""
    contexts = []

    def open_(person, path: str = "/phone/", *, lang: str = "zh-hans", where=None, live: bool = True):
        options: dict[str, object] = {
            "locale": "zh-CN" if lang == "zh-hans" else "en-GB",
            "viewport": SCREEN,
            "is_mobile": True,
            "has_touch": True,
        }
        if where is not None:
            options.update(
                geolocation={"latitude": where[0], "longitude": where[1]}, permissions=["geolocation"]
            )
        ctx = browser.new_context(**options)
        contexts.append(ctx)
        cookies = [{"name": "django_language", "value": lang, "url": live_server_url}]
        if person is not None:
            cookies.append(
                {"name": "sessionid", "value": session_cookie(person.user), "url": live_server_url}
            )
        ctx.add_cookies(cookies)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        # What the page asked the server and heard back, for the message of a failed wait.
        answers: list[str] = []
        page.on("response", lambda r: answers.append(f"{r.request.method} {r.url} → {r.status}"))
        page.on("console", lambda m: answers.append(f"console.{m.type}: {m.text}"))
        page.answers = answers  # type: ignore[attr-defined]
        page.goto(live_server_url + path)
        if live:
            page.wait_for_selector("body[data-live='1']", timeout=WAIT_MS)
        page.js_errors = errors  # type: ignore[attr-defined]
        return page

    yield open_
    for ctx in contexts:
        ctx.close()
    wait_for_database_quiet()


def _offered(page, appeal_id: int) -> set[str]:
    """The appeal's step buttons on the card (navigate, details and call are not steps)."""
    card = page.locator(f"#appeals [data-appeal='{appeal_id}']")
    return set(card.locator("button.act").evaluate_all("bs => bs.map(b => b.dataset.action)"))


def _wait_state(page, appeal_id: int, state: str) -> None:
    _wait_for(page, page.locator(f"#appeals [data-appeal='{appeal_id}'][data-state='{state}']"), appeal_id)


def _wait_for(page, locator, appeal_id: int) -> None:
    """``locator.wait_for()``; when it times out, the failure says what the appeal's card shows and
    the page's last requests and console lines (a timeout alone does not say which side stalled)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        locator.wait_for(timeout=WAIT_MS)
    except PlaywrightTimeout:
        card = page.locator(f"#appeals [data-appeal='{appeal_id}']")
        shown = card.inner_text(timeout=1_000) if card.count() else "(no card)"
        recent = "\n".join(page.answers[-15:])
        raise AssertionError(
            f"waited {WAIT_MS} ms for {locator}\ncard: {shown}\nJS errors: {page.js_errors}\n{recent}"
        ) from None


def test_it_lets_the_officer_walk_a_new_appeal_to_resolved_on_the_phone(world, new_appeal, open_phone):
    appeal = new_appeal()
    assert appeal.state == AppealState.RECEIVED and appeal.assignee == world.grid_officer
    phone = open_phone(world.grid_officer, where=FAR)
    card = phone.locator(f"#appeals [data-appeal='{appeal.pk}']")
    card.wait_for(timeout=WAIT_MS)
    assert "139****5678" in card.inner_text() and "13912345678" not in card.inner_text()  # masked

    # received: only "受理" — contact and land would be refused in this state.
    assert _offered(phone, appeal.pk) == {"acknowledge"}
    phone.click(f"[data-testid='acknowledge-{appeal.pk}']")
    _wait_state(phone, appeal.pk, "acknowledged")
    assert card.locator(".pill").inner_text() == "已受理"
    assert _offered(phone, appeal.pk) == {"contact", "land"}

    phone.click(f"[data-testid='contact-{appeal.pk}']")
    _wait_state(phone, appeal.pk, "contacted")
    assert _offered(phone, appeal.pk) == {"land"}

    # The reporter's number: revealed on this press only, as a tel: link, and logged.
    phone.click(f"[data-testid='call-{appeal.pk}']")
    tel = phone.locator(f"[data-testid='tel-{appeal.pk}']")
    _wait_for(phone, tel, appeal.pk)
    assert tel.get_attribute("href") == "tel:13912345678"
    [log] = AccessLog.objects.filter(what="reporter phone")
    assert log.person == world.grid_officer and log.what == "reporter phone"
    assert log.object_type == "appeals.appeal" and log.object_id == str(appeal.pk) and log.why

    # Landing from 667 m away: refused, with the distance, in Chinese, on the card.
    phone.check("[data-testid='gps']")
    phone.click(f"[data-testid='land-{appeal.pk}']")
    message = phone.locator(f"[data-testid='msg-{appeal.pk}']")
    message.wait_for(state="visible", timeout=WAIT_MS)
    far_m = haversine_m(FAR[0], FAR[1], POINT_IN_A[0], POINT_IN_A[1])
    assert message.inner_text() == f"您距离诉求地点约 {far_m:.0f} 米，需在 300 米内才能确认到场。"
    assert Appeal.objects.get(pk=appeal.pk).state == AppealState.CONTACTED
    assert not LandingProof.objects.exists()

    # Walk up to it and land.
    phone.context.set_geolocation({"latitude": NEAR[0], "longitude": NEAR[1]})
    phone.click(f"[data-testid='land-{appeal.pk}']")
    _wait_state(phone, appeal.pk, "landed")
    assert message.is_hidden()
    proof = LandingProof.objects.get(appeal=appeal)
    assert proof.officer == world.grid_officer and proof.distance_m < 300
    assert _offered(phone, appeal.pk) == {"resolve"}

    # Resolve with a resolution text.
    phone.click(f"[data-testid='resolve-{appeal.pk}']")
    phone.fill(f"[data-testid='resolution-{appeal.pk}']", "已联系车主将车挪走，出口已畅通")
    phone.click(f"[data-testid='resolve-submit-{appeal.pk}']")
    card.wait_for(state="detached", timeout=WAIT_MS)  # no longer open: off the list
    appeal.refresh_from_db()
    assert appeal.state == AppealState.RESOLVED and appeal.resolution == "已联系车主将车挪走，出口已畅通"
    assert "已解决" in phone.locator("#alert").inner_text()
    assert AccessLog.objects.filter(what="reporter phone").count() == 1
    assert phone.js_errors == []


# The resident's rating of this walk, with the one-time code sent to their phone, is
# intake/tests/test_browser_resident.py::test_it_lets_the_reporter_rate_with_the_code_sent_to_their_phone.


@pytest.fixture
def on_duty(world, new_appeal):
    """The grid officer crewing a car, with a dispatch order and an appeal: a full phone page."""
    from django.utils import timezone

    unit = Unit.objects.create(
        code="P-A1",
        name="巡逻车A1",
        agency="police",
        unit_type="patrol_car",
        person=world.grid_officer,
        lat=NEAR[0],
        lon=NEAR[1],
        position_at=timezone.now(),
    )
    incident = Incident.objects.create(
        title="福州路有人晕倒", lat=POINT_IN_A[0], lon=POINT_IN_A[1], address="福州路"
    )
    Assignment.objects.create(incident=incident, unit=unit, eta_s=90)
    appeal = new_appeal()
    services.do_acknowledge(world.scope(world.grid_officer), appeal.pk)
    return {"unit": unit, "appeal": appeal}


# Every visible control on the page that the SOS bar could lie on: for each, scrolled into view,
# the element at its centre is the control itself.
COVERED_CONTROLS = """() => {
  const bar = document.querySelector('.sos-bar');
  const covered = [];
  document.querySelectorAll('body > section button, body > section input, .cards a').forEach(c => {
    if (bar.contains(c) || !c.offsetParent) return;
    c.scrollIntoView({block: 'end'});
    const r = c.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (!hit || !(hit === c || c.contains(hit))) covered.push((c.dataset.testid || c.textContent).trim());
  });
  return covered;
}"""


def test_it_sends_sos_only_on_a_held_press_and_says_when_it_is_acknowledged(
    world, on_duty, open_phone, live_server_url
):
    phone = open_phone(world.grid_officer)
    phone.locator(f"#appeals [data-appeal='{on_duty['appeal'].pk}']").wait_for(timeout=WAIT_MS)
    assert phone.evaluate(COVERED_CONTROLS) == []  # the SOS bar lies on no control

    sos = phone.locator("[data-testid='sos']")
    assert "1.5" in phone.locator("[data-testid='sos-state']").inner_text()
    # A tap is not an alarm: let go at once, and nothing is sent, even after the hold time.
    sos.click()
    assert sos.get_attribute("data-hold") == "idle"
    phone.wait_for_timeout(2000)
    assert not SosAlarm.objects.exists()

    # Held: the ring fills, then the alarm goes.
    sos.scroll_into_view_if_needed()
    box = sos.bounding_box()
    phone.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    phone.mouse.down()
    phone.wait_for_function(
        "() => { const b = document.querySelector('#sos'); return b.dataset.hold === 'holding' && "
        "parseFloat(b.style.getPropertyValue('--p')) > 0.1; }",
        timeout=WAIT_MS,
    )
    phone.wait_for_selector("#sos[data-hold='sent']", timeout=WAIT_MS)
    phone.mouse.up()
    alarm = SosAlarm.objects.get(person=world.grid_officer)
    assert alarm.status == SosStatus.RAISED
    state = phone.locator("[data-testid='sos-state']")
    assert state.inner_text() == "求助中"

    # The command centre acknowledges (through the server, whose socket tells the phone): help is
    # coming — not "resolved".
    r = httpx.post(
        f"{live_server_url}/api/v1/sos/{alarm.pk}/ack",
        headers={"Authorization": f"Bearer {issue_token(world.dispatcher, 'console')}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    phone.wait_for_selector("body[data-sos='acknowledged']", timeout=WAIT_MS)
    assert state.inner_text() == "已确认/处置中"
    assert "已解决" not in phone.locator("body").inner_text()

    # The officer ends it once safe (asked to confirm).
    phone.on("dialog", lambda d: d.accept())
    phone.click("[data-testid='sos-safe']")
    phone.wait_for_selector("#sos[data-hold='idle']", timeout=WAIT_MS)
    alarm.refresh_from_db()
    assert alarm.status == SosStatus.RESOLVED
    assert phone.js_errors == []


# The header on one line: no item wraps its own text, all items share one row, nothing overflows.
HEADER_ON_ONE_LINE = """() => {
  const bar = document.querySelector('header.bar');
  const shown = e => { const r = e.getBoundingClientRect(); return e.offsetParent !== null && r.width > 0 && r.height > 0; };
  // The boxes in the bar: its children, and the controls inside its (inline) forms.
  const boxes = [...bar.children].flatMap(c => c.tagName === 'FORM' ? [...c.querySelectorAll('select, button')] : [c]).filter(shown);
  const rects = boxes.map(c => c.getBoundingClientRect());
  const sharedRow = Math.max(...rects.map(r => r.top)) < Math.min(...rects.map(r => r.bottom));
  // No text in the bar breaks onto a second line.
  const wrapped = [];
  const walker = document.createTreeWalker(bar, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent.trim() || !shown(n.parentElement) || n.parentElement.tagName === 'OPTION') continue;
    const range = document.createRange();
    range.selectNodeContents(n);
    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    if (tops.size > 1) wrapped.push(n.textContent.trim());
  }
  return {
    sharedRow, wrapped, boxes: boxes.length,
    height: bar.getBoundingClientRect().height,
    lineHeight: parseFloat(getComputedStyle(bar).lineHeight) || 20,
    overflow: bar.scrollWidth > bar.clientWidth,
    pageWidth: document.documentElement.scrollWidth,
  };
}"""


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_it_keeps_the_phone_header_on_one_line_on_a_360px_screen(world, on_duty, open_phone, lang):
    phone = open_phone(world.grid_officer, lang=lang)
    header = phone.evaluate(HEADER_ON_ONE_LINE)
    assert header["boxes"] >= 5 and header["sharedRow"] and header["wrapped"] == [], header
    assert header["height"] < 2 * header["lineHeight"] + 16, header  # one line plus the padding
    assert not header["overflow"] and header["pageWidth"] <= SCREEN["width"], header
    assert phone.js_errors == []
