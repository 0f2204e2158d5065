"""Fixtures of the broadcasts tests: a fake of every chat platform on loopback, groups bound to
it, SMS subscribers, and helpers that build audiences and broadcasts."""

from __future__ import annotations

import time
from collections import deque

import pytest
from django.utils import timezone

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import Person, RoleAssignment
from lastmeter.broadcasts import services
from lastmeter.broadcasts.choices import OptInChannel, Platform
from lastmeter.broadcasts.models import ChatGroup, SmsSubscriber
from lastmeter.intake.tests.fakes import FakeApi, Seen

PATHS: dict[str, str] = {
    Platform.DINGTALK: "/robot/send",
    Platform.FEISHU: "/open-apis/bot/v2/hook/feishu-hook",
    Platform.WECOM: "/cgi-bin/webhook/send",
    Platform.TELEGRAM: "/bot123456:ABC/sendMessage",
}
# The platforms' per-group limits as each fake enforces them (messages per 60 s window).
FAKE_LIMIT_PER_MINUTE: dict[str, int] = {
    Platform.DINGTALK: 20,
    Platform.FEISHU: 100,
    Platform.WECOM: 20,
    Platform.TELEGRAM: 20,
}


# What each platform answers once the bot is out of the group (senders.py cites the sources).
KICKED_ANSWERS: dict[str, tuple[int, dict[str, object]]] = {
    Platform.DINGTALK: (200, {"errcode": 300001, "errmsg": "token is not exist"}),
    Platform.FEISHU: (200, {"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}),
    Platform.WECOM: (200, {"errcode": 93000, "errmsg": "invalid webhook url"}),
    Platform.TELEGRAM: (403, {"ok": False, "description": "Forbidden: bot was kicked from the group chat"}),
}


class FakePlatforms:
    """One loopback server playing all four platforms. Each route counts what it accepted and
    when (``accepted_at``, on the clock time_machine moves), refuses bursts over the platform's
    per-minute limit with the platform's own throttling answer, can be told to fail (HTTP 500)
    for the next N requests or until a time (``down_until``), and answers with the platform's
    own "bot not in the group" code for a platform in ``kicked``."""

    def __init__(self) -> None:
        self.api = FakeApi().start()
        self.base = self.api.base
        self.accepted: dict[str, list[Seen]] = {p: [] for p in PATHS}
        self.throttled: dict[str, int] = {p: 0 for p in PATHS}
        self.fail_next: dict[str, int] = {p: 0 for p in PATHS}
        self.down_until: dict[str, float] = {p: 0.0 for p in PATHS}
        self.failed: dict[str, int] = {p: 0 for p in PATHS}
        self.accepted_at: dict[str, list[float]] = {p: [] for p in PATHS}
        self.kicked: set[str] = set()
        self._window: dict[str, deque[float]] = {p: deque() for p in PATHS}
        for platform, path in PATHS.items():
            self.api.route(path, responder=self._responder(platform))

    def _responder(self, platform: str):
        def answer(seen: Seen):
            now = time.time()  # time_machine moves this clock too
            if self.fail_next[platform] > 0 or now < self.down_until[platform]:
                self.fail_next[platform] = max(0, self.fail_next[platform] - 1)
                self.failed[platform] += 1
                return 500, {"error": "temporarily unavailable"}
            if platform in self.kicked:
                return KICKED_ANSWERS[platform]
            window = self._window[platform]
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= FAKE_LIMIT_PER_MINUTE[platform]:
                self.throttled[platform] += 1
                throttle: dict[str, dict[str, object]] = {
                    Platform.DINGTALK: {"errcode": 130101, "errmsg": "send too fast"},
                    Platform.WECOM: {"errcode": 45009, "errmsg": "api freq out of limit"},
                    Platform.FEISHU: {"code": 9499, "msg": "too many request"},
                    Platform.TELEGRAM: {"ok": False, "description": "Too Many Requests: retry after 3"},
                }
                return 429 if platform == Platform.TELEGRAM else 200, throttle[platform]
            window.append(now)
            self.accepted[platform].append(seen)
            self.accepted_at[platform].append(now)
            if platform == Platform.TELEGRAM:
                return 200, {"ok": True, "result": {"message_id": len(self.accepted[platform])}}
            if platform == Platform.FEISHU:
                return 200, {"code": 0, "msg": "success"}
            return 200, {"errcode": 0, "errmsg": "ok"}

        return answer

    def stop(self) -> None:
        self.api.stop()


@pytest.fixture
def platforms(settings):
    fake = FakePlatforms()
    settings.LASTMETER_DINGTALK_OAPI_BASE = fake.base
    settings.LASTMETER_FEISHU_API_BASE = fake.base
    settings.LASTMETER_WECOM_API_BASE = fake.base
    settings.LASTMETER_TELEGRAM_API_BASE = fake.base
    settings.LASTMETER_TELEGRAM_BOT_TOKEN = "123456:ABC"
    settings.LASTMETER_SMS_BACKEND = "lastmeter.appeals.notify.backends.ConsoleBackend"
    yield fake
    fake.stop()


def make_group(world, platform: str, base: str, *, community=None, name: str = "") -> ChatGroup:
    urls: dict[str, str] = {
        Platform.DINGTALK: f"{base}/robot/send?access_token=ding-token",
        Platform.FEISHU: f"{base}/open-apis/bot/v2/hook/feishu-hook",
        Platform.WECOM: f"{base}/cgi-bin/webhook/send?key=wecom-key",
        Platform.TELEGRAM: "",
    }
    url = urls[platform]
    return ChatGroup.objects.create(
        platform=platform,
        name=name or f"{platform}群",
        chat_id=f"chat-{platform}",
        webhook_url=url,
        webhook_secret="SECsign" if platform in (Platform.DINGTALK, Platform.FEISHU) else "",
        community=community or world.community_a,
    )


@pytest.fixture
def groups(world, platforms):
    return {p: make_group(world, p, platforms.base) for p in PATHS}


@pytest.fixture
def subscribers(world):
    now = timezone.now()
    return [
        SmsSubscriber.objects.create(
            phone=f"1391234560{i}",
            community=world.community_a,
            opted_in_at=now,
            opt_in_channel=OptInChannel.SMS,
        )
        for i in range(3)
    ]


@pytest.fixture
def volunteer(world):
    person = Person.objects.create(name="志愿者吴", phone="13700000001")
    RoleAssignment.objects.create(person=person, role=Role.VOLUNTEER, grid=world.grid_a)
    return person


def audience(world, **kw):
    spec = dict(name="A社区", communities=[world.community_a], grids=[], groups=[], departments=[])
    spec.update(kw)
    return services.do_create_audience(world.scope(world.grid_officer), services.AudienceSpec(**spec))


def draft(aud, **kw) -> services.Draft:
    data = dict(
        title="晚高峰提醒",
        template="{road}{hour}点前后车多，请绕行{detour}。",
        audience=aud,
        variables={"road": "福州路", "hour": "17", "detour": "广东路"},
    )
    data.update(kw)
    return services.Draft(**data)
