"""/api/v1/intake: file a message through the API (an integration, a kiosk, a volunteer app).

The request is stored raw like every other channel; ``Idempotency-Key`` (header) makes a retried
call one item. Staff read items (raw included) by id.
"""

from __future__ import annotations

import json

from django.http import HttpRequest
from ninja import Router, Schema

from lastmeter.accounts.auth import API_AUTH, request_scope
from lastmeter.appeals.choices import Channel
from lastmeter.intake.channels.base import InboundMessage, body_key
from lastmeter.intake.selectors import visible_items
from lastmeter.intake.services import submit
from lastmeter.lib.geo import validate_lat_lon

router = Router(tags=["intake"])


class MessageIn(Schema):
    text: str
    reporter_name: str = ""
    reporter_phone: str = ""
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    category: str = ""


class ItemOut(Schema):
    id: int
    status: str
    decision: str
    reason: str
    appeal: str | None
    tracking_url: str | None


class IntakeErrorOut(Schema):
    detail: str


def _out(item) -> dict:
    from django.urls import reverse

    appeal = item.appeal
    return {
        "id": item.pk,
        "status": item.status,
        "decision": item.decision,
        "reason": item.decision_reason,
        "appeal": appeal.reference if appeal else None,
        "tracking_url": reverse("appeals:track", args=[appeal.tracking_token]) if appeal else None,
    }


@router.post("/intake/messages", response={201: ItemOut, 200: ItemOut, 400: IntakeErrorOut}, auth=API_AUTH)
def post_message(request: HttpRequest, payload: MessageIn):
    scope = request_scope(request)
    if not payload.text.strip():
        return 400, {"detail": "the text is empty"}
    try:
        validate_lat_lon(payload.lat, payload.lon)
    except ValueError as exc:
        return 400, {"detail": str(exc)}
    body = json.dumps(payload.dict(), ensure_ascii=False).encode()
    key = request.headers.get("Idempotency-Key") or body_key(body)
    msg = InboundMessage(
        channel=Channel.API,
        text=payload.text,
        sender_name=payload.reporter_name,
        phone=payload.reporter_phone,
        lat=payload.lat,
        lon=payload.lon,
        address=payload.address,
        category_code=payload.category,
        filed_by_id=scope.person.pk if scope.person else None,
    )
    item, created = submit(
        msg, key=f"{scope.person.pk if scope.person else 'anon'}:{key}", body=body, submitted_by=scope.person
    )
    if item.status == "rejected":
        return 400, {"detail": item.decision_reason}
    return (201 if created else 200), _out(item)


@router.get("/intake/items/{item_id}", response={200: ItemOut, 404: IntakeErrorOut}, auth=API_AUTH)
def get_item(request: HttpRequest, item_id: int):
    item = visible_items(request_scope(request)).filter(pk=item_id).first()
    if item is None:
        return 404, {"detail": "no such item"}
    return 200, _out(item)
