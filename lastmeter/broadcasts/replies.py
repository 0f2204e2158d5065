"""Answers to broadcasts that arrive through intake: "退订"/STOP and sightings of an alert.

``on_reply`` is registered with intake (lastmeter.intake.hooks) and runs inside the inbound
item's processing transaction. It takes a message only when it is sure it is an answer:
- an SMS whose whole text is an unsubscribe word, from a number that subscribed;
- a reply with a sighting cue ("我看到了") or an alert's code, from a group or a phone that the
  alert was sent to while the alert is active.
Anything else goes on to triage as before.
"""

from __future__ import annotations

import re

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lastmeter.accounts.choices import OrgKind
from lastmeter.accounts.models import OrgUnit
from lastmeter.broadcasts.alerts import SIGHTING_CUES, do_record_sighting
from lastmeter.broadcasts.choices import AlertState, BroadcastKind, OptInChannel
from lastmeter.broadcasts.models import Alert, ChatGroup, SmsSubscriber
from lastmeter.intake.channels.base import InboundMessage
from lastmeter.lib.fieldcrypt import phone_hash
from lastmeter.lib.text import mask_phone

SMS_CHANNEL = "sms"
# What mainland operators and providers honour as unsubscribe replies, and the English ones.
STOP_WORDS = frozenset({"退订", "td", "t", "n", "stop", "unsubscribe", "取消订阅", "退订短信"})
_CODE = re.compile(r"XR(\d+)", re.IGNORECASE)


def is_stop(text: str) -> bool:
    return re.sub(r"[\s。.!！]", "", text).lower() in STOP_WORDS


def do_unsubscribe(phone: str) -> SmsSubscriber | None:
    """Stop every message to this number now (idempotent). Caller is in a transaction."""
    sub = SmsSubscriber.objects.select_for_update().filter(phone_hash=phone_hash(phone)).first()
    if sub is not None and sub.opted_out_at is None:
        sub.opted_out_at = timezone.now()
        sub.save(update_fields=["opted_out_at"])
    return sub


# "订阅福州路社区" / "JOIN fuzhou": a resident asks for the station's messages by SMS.
_JOIN = re.compile(r"^(?:订阅|join)\s*(?P<community>\S+)$", re.IGNORECASE)


def do_subscribe(phone: str, community: OrgUnit) -> SmsSubscriber:
    """Opt a number in (again), recording when and that it was by SMS. Caller is in a transaction."""
    now = timezone.now()
    # By the number's keyed hash: "139 1234 5678" and "+8613912345678" are one subscriber.
    sub = SmsSubscriber.objects.select_for_update().filter(phone_hash=phone_hash(phone)).first()
    if sub is None:
        return SmsSubscriber.objects.create(
            phone=phone, community=community, opted_in_at=now, opt_in_channel=OptInChannel.SMS
        )
    sub.community, sub.opted_in_at, sub.opt_in_channel, sub.opted_out_at = (
        community,
        now,
        OptInChannel.SMS,
        None,
    )
    sub.save(update_fields=["community", "opted_in_at", "opt_in_channel", "opted_out_at"])
    return sub


def _community_named(words: str) -> OrgUnit | None:
    words = words.strip()
    communities = OrgUnit.objects.filter(kind=OrgKind.COMMUNITY)
    return (
        communities.filter(Q(name=words) | Q(code__iexact=words)).first()
        or communities.filter(name=words + "社区").first()
    )


def _alerts_sent_to(msg: InboundMessage) -> list[Alert]:
    """Active alerts whose broadcast reached the sender's group or phone, newest first.
    A phone is found by its keyed hash (the deliveries keep the number encrypted)."""
    reached = Q()
    if msg.channel == SMS_CHANNEL and msg.phone:
        reached = Q(broadcasts__runs__deliveries__phone_hash=phone_hash(msg.phone))
    elif msg.chat_id:
        groups = [
            f"group:{pk}"
            for pk in ChatGroup.objects.filter(platform=msg.channel, chat_id=msg.chat_id).values_list(
                "id", flat=True
            )
        ]
        if groups:
            reached = Q(broadcasts__runs__deliveries__destination__in=groups)
    if not reached:
        return []
    return list(
        Alert.objects.filter(
            reached,
            state=AlertState.ACTIVE,
            broadcasts__kind=BroadcastKind.ALERT,
        )
        .distinct()
        .order_by("-approved_at", "-id")
    )


def on_reply(msg: InboundMessage) -> str | None:
    text = (msg.text or "").strip()
    if msg.kind != "text" or not text:
        return None
    if msg.channel == SMS_CHANNEL and is_stop(text):
        sub = do_unsubscribe(msg.phone)
        if sub is not None:
            return _("unsubscribed %(phone)s from broadcasts") % {"phone": mask_phone(msg.phone)}
        return None
    join = _JOIN.match(text) if msg.channel == SMS_CHANNEL and msg.phone else None
    if join:
        community = _community_named(join.group("community"))
        if community is not None:
            do_subscribe(msg.phone, community)
            return _("%(phone)s subscribed to the broadcasts of %(community)s") % {
                "phone": mask_phone(msg.phone),
                "community": community.name,
            }
    code = _CODE.search(text)
    if not code and not any(cue in text.lower() for cue in SIGHTING_CUES):
        return None
    alerts = _alerts_sent_to(msg)
    if code:
        alerts = [a for a in alerts if a.pk == int(code.group(1))] or alerts
    if not alerts:
        return None
    alert = alerts[0]
    sender = mask_phone(msg.phone) if msg.phone else (msg.sender_name or msg.sender_id)
    do_record_sighting(alert, channel=msg.channel, sender=sender, text=text, lat=msg.lat, lon=msg.lon)
    return _("a sighting for alert %(code)s") % {"code": alert.code}
