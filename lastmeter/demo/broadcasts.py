"""The demo's broadcasts: chat groups, SMS subscribers, a sent notice, a working-day rush-hour
reminder, an anti-fraud broadcast waiting for a second leader, and an active alert with a sighting.

Everything here is invented for the demo. The groups have no robot webhook, so what the worker
"sends" to them is logged, not delivered (the delivery report says so); SMS goes to the console
backend. A deputy leader (login ``deputy``) exists so the two-person rule can be tried: the
leader (``leader``) wrote the anti-fraud broadcast, the deputy approves it.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from lastmeter.accounts.choices import OrgKind, Role
from lastmeter.accounts.models import OrgUnit, Person
from lastmeter.accounts.selectors import scope_for
from lastmeter.broadcasts import alerts, services
from lastmeter.broadcasts.choices import BroadcastKind, OptInChannel, Platform, Repeat
from lastmeter.broadcasts.models import ChatGroup, SmsSubscriber
from lastmeter.demo.organisation import person
from lastmeter.grids.models import Grid

GROUPS = [(Platform.WECOM, "居民群"), (Platform.DINGTALK, "平安志愿者群")]


def load_broadcasts_demo() -> None:
    """Needs the organisation and communities (load_organisation, load_communities) first."""
    station = OrgUnit.objects.get(code="rmgc-station")
    deputy = person("李副所长", "deputy", "13800000004", Role.LEADERSHIP, org_unit=station)
    leader = Person.objects.get(user__username="leader")
    now = timezone.now()
    communities = list(OrgUnit.objects.filter(kind=OrgKind.COMMUNITY).order_by("code"))
    for n, community in enumerate(communities):
        for platform, suffix in GROUPS:
            group = ChatGroup.objects.create(
                platform=platform,
                name=f"{community.name}{suffix}",
                chat_id=f"demo-{community.code}-{platform}",
                community=community,
            )
            group.grids.set(Grid.objects.filter(community=community))
        for k in range(4):
            SmsSubscriber.objects.create(
                phone=f"137000{n:02d}{k:03d}",
                community=community,
                opted_in_at=now - timedelta(days=30 + k),
                opt_in_channel=OptInChannel.SMS if k % 2 else OptInChannel.FORM,
                opted_out_at=now - timedelta(days=2) if k == 3 else None,  # one said 退订
            )
    officer = Person.objects.get(user__username="officer1")
    first = Grid.objects.filter(responsible_officer=officer).select_related("community").first().community  # type: ignore[union-attr]
    officer_scope = scope_for(officer)
    grids = list(Grid.objects.filter(community=first))

    def audience(scope, name, comms, **kw):
        return services.do_create_audience(scope, services.AudienceSpec(name, comms, [], [], [], **kw))

    notice = services.do_create_broadcast(
        officer_scope,
        services.Draft(
            title="电动车充电安全提醒",
            template="请勿将电动车推入楼道、家中充电，{place}已设充电桩。",
            variables={"place": "小区东门"},
            audience=audience(officer_scope, "电动车安全", [first], building_heads=True, sms_residents=True),
        ),
    )
    services.do_submit(officer_scope, notice.pk)

    reminder = services.do_create_broadcast(
        officer_scope,
        services.Draft(
            title="早晚高峰出行提醒",
            template="{road}工作日早晚高峰车多，请提前出行或绕行{detour}。",
            variables={"road": "南京西路", "detour": "威海路"},
            audience=audience(officer_scope, "南京西路沿线", [first]),
            kind=BroadcastKind.RUSH_HOUR,
            repeat=Repeat.WORKING_DAYS,
            times=["07:15", "16:45"],
            sources=[
                {
                    "label": "南京西路工作日高峰事故（演示数据）",
                    "value": "—",
                    "url": "/stats/hotspots/?kind=accidents",
                }
            ],
        ),
    )
    services.do_submit(officer_scope, reminder.pk)

    leader_scope = scope_for(leader)
    fraud = services.do_create_broadcast(
        leader_scope,
        services.Draft(
            title="反诈提醒",
            template="近期冒充客服退款诈骗多发，公安机关不会要求您向“安全账户”转账。",
            variables={},
            audience=audience(leader_scope, "全所居民", communities, sms_residents=True),
            kind=BroadcastKind.ANTI_FRAUD,
        ),
    )
    services.do_submit(leader_scope, fraud.pk)  # two communities: waits for the deputy

    # inside the officer's south grid, away from its edges, so the radius stays in the community
    south_west = grids[0].boundary["coordinates"][0][0]
    lat, lon = south_west[1] + 0.005, south_west[0] + 0.004
    alert = alerts.do_create_alert(
        officer_scope,
        alerts.AlertDraft(
            kind="lost_elderly",
            headline="寻找走失老人（演示）",
            description="男，约80岁，身高约165厘米，穿深蓝色棉袄，说话不清。",
            last_seen_at=now - timedelta(hours=2),
            last_seen_place="南京西路地铁站2号口",
            lat=lat,
            lon=lon,
            radius_m=400,
            grids=grids,
        ),
    )
    alerts.do_submit_alert(officer_scope, alert.pk)
    alerts.do_approve_alert(scope_for(deputy), alert.pk)
    alerts.do_record_sighting(alert, channel="wecom", sender="居民", text="我看到了，半小时前在人民公园门口")
