"""Every write of the intake: store raw, process (decide), retry, and staff reversals.

Order of work for anything that arrives:
1. ``store_raw`` commits the raw item in its own transaction (unique per channel + platform id) —
   for a chat webhook ``store_and_defer``, which commits it with its processing job, so that the
   platform is answered before any triage and a worker processes it;
2. ``process_item`` decides in ONE transaction what the item becomes — a new appeal, an update to
   an open appeal, a duplicate (reporter subscribed to the open appeal), or nothing — and records
   the decision with its reason. If processing raises, nothing of it is kept; the item stays
   pending with attempts/next_attempt/last_error, and the same transaction defers the retry job
   (``RETRY_TASK``) for the time its back-off ends; ``process_pending``, a periodic sweep, retries
   any due item whose job was lost.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lastmeter.accounts.models import Person
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals import services as appeal_services
from lastmeter.appeals.choices import OPEN_STATES, AppealState, Channel, EventKind
from lastmeter.appeals.locking import lock_appeal, publish_change, record_event
from lastmeter.appeals.models import Appeal, AppealMedia, Category, Subscription
from lastmeter.appeals.notify.outbox import channel_can_answer, enqueue
from lastmeter.appeals.notify.reporter import follow_link, tracking_link
from lastmeter.intake.channels.base import BadPayload, Ignored, InboundMessage, RawRequest, adapter_for
from lastmeter.intake.choices import REVERSALS, Decision, ItemStatus, check_item_transition
from lastmeter.intake.hooks import claim as claim_reply
from lastmeter.intake.media import needs_fetching, resolve_media
from lastmeter.intake.models import InboundItem, IntakeDecision
from lastmeter.lib.fieldcrypt import phone_hash
from lastmeter.lib.taskengine import defer
from lastmeter.triage import services as triage
from lastmeter.triage.algorithms.fallback import duplicate_scores
from lastmeter.triage.models import LabelSource, LabelTask

log = logging.getLogger("lastmeter.intake")

# Channels where someone deliberately files one appeal (a form, a call, an API client): the item
# is always an appeal and duplicates are only flagged for staff, never auto-attached.
STRUCTURED = frozenset(
    {Channel.WEB, Channel.HOTLINE, Channel.WALK_IN, Channel.VOLUNTEER, Channel.API, Channel.OPEN311}
)
REFERENCE = re.compile(r"\bLM\d{14}\b")
# The task engine's name of an item's processing job — the first (a webhook defers it with the
# stored item) and every retry; lastmeter/worker.py binds it to ``process_item``.
RETRY_TASK = "intake.process_inbound_item"
# Why a text message without text is refused (by the webhook at once, by ``decide`` otherwise).
EMPTY_TEXT = "the message text is empty"


def defer_retry(item: InboundItem) -> None:
    """Queue the item's next processing for when its back-off ends, in the current transaction."""
    defer(RETRY_TASK, lock_key=f"intake:{item.pk}", run_at=item.next_attempt_at, item_id=item.pk)


# --- 1. raw first ----------------------------------------------------------------------------


def store_raw(
    *,
    channel: str,
    key: str,
    body: bytes,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    content_type: str = "",
    source: str = "",
    submitted_by: Person | None = None,
    normalised: InboundMessage | None = None,
    status: str = ItemStatus.PENDING,
    reason: str = "",
) -> tuple[InboundItem, bool]:
    """Commit the raw item; returns (item, created). A second delivery with the same key returns
    the first item and created=False. Precondition: called outside any transaction in
    production, so the row is committed before processing starts."""
    fields: dict[str, Any] = dict(
        channel=channel,
        body=bytes(body),
        headers=_safe_headers(headers or {}),
        query=dict(query or {}),
        content_type=content_type[:200],
        source=source[:200],
        submitted_by=submitted_by,
        status=status,
    )
    if status == ItemStatus.REJECTED:
        fields.update(decision=Decision.REJECTED, decision_reason=reason, decided_at=timezone.now())
    if normalised is not None:
        fields.update(_coordinates(normalised))
    dedupe = f"{channel}:{key}"[:300]
    try:
        with transaction.atomic():
            item = InboundItem.objects.create(dedupe_key=dedupe, **fields)
            if status == ItemStatus.REJECTED:
                IntakeDecision.objects.create(item=item, decision=Decision.REJECTED, reason=reason)
    except IntegrityError:
        return InboundItem.objects.get(dedupe_key=dedupe), False
    return item, True


def store_and_defer(
    *,
    channel: str,
    key: str,
    body: bytes,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    content_type: str = "",
    normalised: InboundMessage | None = None,
) -> bool:
    """Store the raw item and queue its processing job in ONE transaction (a webhook's whole write):
    the item exists if and only if its job does, so an answered item is always processed, by a
    worker rather than by the request. Returns False for a re-delivery (the platform id is already
    stored: nothing new is written or queued). Precondition: called outside any transaction."""
    with transaction.atomic():
        item, created = store_raw(
            channel=channel,
            key=key,
            body=body,
            headers=headers,
            query=query,
            content_type=content_type,
            normalised=normalised,
        )
        if created:
            defer(RETRY_TASK, lock_key=f"intake:{item.pk}", item_id=item.pk)
    return created


def _safe_headers(headers: dict[str, str]) -> dict[str, str]:
    # Cookies and authorisation headers are credentials, not evidence: never stored.
    drop = {"cookie", "authorization", "x-csrftoken", "proxy-authorization"}
    return {k: v[:2000] for k, v in headers.items() if k.lower() not in drop}


def _coordinates(msg: InboundMessage) -> dict[str, Any]:
    return {
        "normalised": msg.to_json(),
        "chat_id": msg.chat_id[:200],
        "message_id": msg.message_id[:200],
        "sender_id": msg.sender_id[:200],
    }


def submit(
    msg: InboundMessage,
    *,
    key: str,
    body: bytes,
    content_type: str = "application/json",
    source: str = "",
    submitted_by: Person | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[InboundItem, bool]:
    """Structured channels (form, call, import, API): store raw + normalised, then process.
    Returns (item, created); a replay returns the first item unprocessed again."""
    item, created = store_raw(
        channel=msg.channel,
        key=key,
        body=body,
        content_type=content_type,
        source=source,
        submitted_by=submitted_by,
        normalised=msg,
        headers=headers,
    )
    if created:
        item = process_item(item.pk)
    return item, created


# --- 2. deciding -----------------------------------------------------------------------------


@dataclass
class Outcome:
    decision: str
    reason: str
    target: Appeal | None = None
    category: Category | None = None
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    location_confidence: float | None = None
    data: dict[str, Any] = field(default_factory=dict)


def _survivor(appeal: Appeal) -> Appeal:
    seen = 0
    while appeal.state == AppealState.MERGED and appeal.merged_into_id and seen < 8:
        appeal = Appeal.objects.get(pk=appeal.merged_into_id)
        seen += 1
    return appeal


def _message_for(item: InboundItem) -> InboundMessage:
    """The item's normalised message, normalising the raw body now if that was not done yet."""
    if item.normalised:
        return InboundMessage.from_json(item.normalised)
    adapter = adapter_for(item.channel)
    if adapter is None:
        raise BadPayload(f"no adapter for channel {item.channel!r}")
    raw = RawRequest(
        method="POST",
        body=bytes(item.body),
        headers=dict(item.headers),
        query=dict(item.query),
        content_type=item.content_type,
    )
    result = adapter.normalise(adapter.parse(raw))
    if isinstance(result, Ignored):
        raise _IgnoredItem(result.reason)
    for key, value in _coordinates(result).items():
        setattr(item, key, value)
    item.save(update_fields=["normalised", "chat_id", "message_id", "sender_id"])
    return result


class _IgnoredItem(Exception):
    pass


# Triage's names for how it decided (its results' ``method``, English identifiers its tests and
# CLI read) and for what a message is (``Verdict.label``), in the words of the stored reason.
_METHOD_WORDS = {
    "keyword rules": gettext_lazy("keyword rules"),
    "keyword rules (follow-up cue)": gettext_lazy("keyword rules (follow-up cue)"),
    "message_kind rules": gettext_lazy("message-kind rules"),
    "appeal_or_not model": gettext_lazy("appeal-or-not model"),
    "gazetteer": gettext_lazy("gazetteer of the road map"),
}
_METHOD_PATTERNS = (
    (re.compile(r"^trained model (?P<name>\S+)$"), gettext_lazy("trained model %(name)s")),
    (
        re.compile(r"^model trained at first use on (?P<n>\d+) stored labels$"),
        gettext_lazy("model trained on %(n)s stored labels"),
    ),
)
_MESSAGE_LABELS = {
    "appeal": gettext_lazy("an appeal"),
    "update": gettext_lazy("a follow-up"),
    "thanks": gettext_lazy("thanks"),
    "praise": gettext_lazy("praise"),
    "chatter": gettext_lazy("chatter"),
}


def method_words(method: str) -> str:
    """How triage decided, in words (the identifier itself when it is not a known one)."""
    suffix = ""
    if method.endswith(" (no known category)"):
        method, suffix = method.removesuffix(" (no known category)"), _(" (no known category)")
    if method in _METHOD_WORDS:
        return str(_METHOD_WORDS[method]) + suffix
    for pattern, words in _METHOD_PATTERNS:
        match = pattern.match(method)
        if match:
            return str(words) % match.groupdict() + suffix
    return method + suffix


def _label_words(label: str) -> str:
    return str(_MESSAGE_LABELS.get(label, label))


def decide(item: InboundItem, msg: InboundMessage) -> Outcome:
    """What the item should become, and why. Reads only; the caller applies it."""
    text = (msg.text or "").strip()
    if msg.kind != "text":
        return Outcome(Decision.NOTHING, _("not a text message (%(kind)s)") % {"kind": msg.kind})
    if not text:
        raise BadPayload(EMPTY_TEXT)
    structured = msg.channel in STRUCTURED
    # A reply quoting a message that became an appeal is an update to that appeal.
    if msg.quoted_message_id and msg.chat_id:
        quoted = (
            InboundItem.objects.filter(
                channel=item.channel, chat_id=msg.chat_id, message_id=msg.quoted_message_id
            )
            .exclude(pk=item.pk)
            .exclude(appeal=None)
            .select_related("appeal")
            .first()
        )
        if quoted is not None and quoted.appeal is not None:
            target = _survivor(quoted.appeal)
            if target.state in OPEN_STATES:
                return Outcome(
                    Decision.UPDATE,
                    _("replies to message %(message)s, which is appeal %(ref)s")
                    % {"message": msg.quoted_message_id, "ref": target.reference},
                    target=target,
                )
    for ref in REFERENCE.findall(text + " " + (msg.quoted_text or "")):
        target_ref = Appeal.objects.filter(reference=ref).first()
        if target_ref is not None:
            target = _survivor(target_ref)
            if target.state in OPEN_STATES:
                return Outcome(Decision.UPDATE, _("names appeal %(ref)s") % {"ref": ref}, target=target)
    verdict = None
    if not structured:
        recent = _recent_open_appeal(item, msg)
        verdict = triage.appeal_or_not(text, addressed=msg.mentions_bot, about_open_appeal=recent is not None)
        if not verdict.is_appeal:
            return Outcome(
                Decision.NOTHING,
                _("%(label)s (%(score).2f, %(method)s): %(reason)s")
                % {
                    "label": _label_words(verdict.label),
                    "score": verdict.score,
                    "method": method_words(verdict.method),
                    "reason": verdict.reason,
                },
                data={"label": verdict.label, "score": verdict.score},
            )
        if recent is not None:
            sim = duplicate_scores(text, None, None, None, [(recent.pk, recent.text, None, None, None)])
            similarity = sim[0][1] if sim else 0.0
            if verdict.label == "update" or similarity >= 0.5:
                return Outcome(
                    Decision.UPDATE,
                    _(
                        "the same reporter's open appeal %(ref)s in this thread (%(label)s, similarity %(sim).2f)"
                    )
                    % {"ref": recent.reference, "label": _label_words(verdict.label), "sim": similarity},
                    target=recent,
                )
    category: Category | None = None
    category_note = ""
    if msg.category_code:
        category = Category.objects.filter(code=msg.category_code).first()
        category_note = _("category %(code)s given by the sender") % {"code": msg.category_code}
    if category is None:
        guess = triage.classify(text)
        category = guess.category
        category_note = (
            _("category %(name)s (%(score).2f, %(method)s)")
            % {"name": category.name, "score": guess.score, "method": method_words(guess.method)}
            if category
            else _("no category (%(method)s)") % {"method": method_words(guess.method)}
        )
    lat, lon, address, confidence = msg.lat, msg.lon, msg.address, None
    place_note = _("location given") if lat is not None else ""
    if lat is None:
        place = triage.place_from_text(" ".join(x for x in (msg.address, text) if x))
        if place is not None:
            lat, lon, confidence = place.lat, place.lon, place.confidence
            address = address or place.name
            place_note = _("place %(name)s from the text (%(method)s, %(confidence).2f)") % {
                "name": place.name,
                "method": method_words(place.method),
                "confidence": place.confidence,
            }
        else:
            place_note = _("no location: to the locate queue")
    hits = triage.find_duplicates(text, lat=lat, lon=lon, category=category)
    data: dict[str, Any] = {"duplicates": [(h.appeal.pk, h.score) for h in hits]}
    if verdict is not None:
        data.update(label=verdict.label, score=verdict.score)
    if hits and not structured:
        best = hits[0]
        return Outcome(
            Decision.DUPLICATE,
            _("the same problem as open appeal %(ref)s (similarity %(sim).2f)")
            % {"ref": best.appeal.reference, "sim": best.score},
            target=best.appeal,
            data=data,
        )
    why = (
        _("filed through a form, a call or the API")
        if structured
        else _("the message is %(label)s") % {"label": _label_words(verdict.label) if verdict else ""}
    )
    return Outcome(
        Decision.NEW_APPEAL,
        _("; ").join(x for x in (why, category_note, place_note) if x)
        + (_("; ") + _("possible duplicate of %(ref)s") % {"ref": hits[0].appeal.reference} if hits else ""),
        category=category,
        lat=lat,
        lon=lon,
        address=address,
        location_confidence=confidence,
        data=data,
    )


def _same_reporter(msg: InboundMessage) -> Q | None:
    """Which earlier items were the same reporter's: with a phone number, the appeals it reported
    or follows, found by the number's keyed hash (the number itself is encrypted and never
    queried); else the platform's sender id; None when neither is known."""
    if msg.phone:
        wanted = phone_hash(msg.phone)
        if wanted:
            return Q(appeal__reporter_phone_hash=wanted) | Q(appeal__subscriptions__phone_hash=wanted)
    if msg.sender_id:
        return Q(sender_id=msg.sender_id)
    return None


def _recent_open_appeal(item: InboundItem, msg: InboundMessage) -> Appeal | None:
    same = _same_reporter(msg)
    if same is None:
        return None
    since = timezone.now() - timedelta(hours=settings.LASTMETER_UPDATE_WINDOW_H)
    earlier = (
        InboundItem.objects.filter(
            same,
            channel=item.channel,
            chat_id=msg.chat_id,
            decision__in=[Decision.NEW_APPEAL, Decision.UPDATE],
            received_at__gte=since,
        )
        .exclude(pk=item.pk)
        .exclude(appeal=None)
        .select_related("appeal")
        .order_by("-received_at")
    )
    for earlier_item in earlier[:5]:
        target = _survivor(earlier_item.appeal)  # type: ignore[arg-type]
        if target.state in OPEN_STATES:
            return target
    return None


# --- 3. applying -----------------------------------------------------------------------------


def process_item(item_id: int) -> InboundItem:
    """Decide and apply in one transaction. On failure nothing is kept but the failure record.

    Runs in a worker (the item's ``RETRY_TASK`` job, or the ``process_pending`` sweep), or in the
    request of a structured channel whose caller waits for the appeal's reference (form, API)."""
    try:
        pending = _pending_message(item_id)
        if pending is not None and needs_fetching(pending.media):
            pending.media = resolve_media(pending.media)
            InboundItem.objects.filter(pk=item_id, status=ItemStatus.PENDING).update(
                normalised=pending.to_json()
            )
        with transaction.atomic():
            item = InboundItem.objects.select_for_update().get(pk=item_id)
            if item.status != ItemStatus.PENDING:
                return item
            try:
                msg = _message_for(item)
            except _IgnoredItem as ignored:
                _finish(item, Decision.IGNORED, str(ignored))
                return item
            claimed = claim_reply(msg)  # an answer to a broadcast (退订, a sighting), not an appeal
            if claimed is not None:
                _finish(item, Decision.NOTHING, claimed)
                return item
            outcome = decide(item, msg)
            _apply(item, msg, outcome, actor=None)
            return item
    except (BadPayload, appeal_services.ServiceError) as exc:
        # Deterministic refusals: retrying cannot help. Kept as rejected with the reason.
        return _reject(item_id, str(exc))
    except Exception as exc:
        log.exception("processing inbound item %s failed", item_id)
        return _record_failure(item_id, exc)


def _pending_message(item_id: int) -> InboundMessage | None:
    """The message of a pending item, read before the processing transaction so that its photos
    are fetched, re-encoded and stored (``intake.media``) while no row is locked. A refused photo
    is recorded as refused and the message goes on; ``media.MediaUnavailable`` (the platform
    unreachable) propagates, and the item is retried like any failed processing."""
    item = InboundItem.objects.filter(pk=item_id, status=ItemStatus.PENDING).first()
    if item is None:
        return None
    try:
        return _message_for(item)
    except (_IgnoredItem, BadPayload):
        return None  # decided in the transaction, as ever


def _attach_media(appeal: Appeal, msg: InboundMessage) -> None:
    """The message's stored photos become the appeal's media; a refused one is a timeline note,
    so staff know a photo was sent and why it is not there."""
    for media in msg.media:
        if media.get("path"):
            AppealMedia.objects.create(
                appeal=appeal, file=media["path"], content_type=media.get("content_type", "")
            )
        elif media.get("refused"):
            record_event(
                appeal,
                EventKind.NOTE,
                None,
                note=_("A photo sent with this message was not kept: %(reason)s")
                % {"reason": media["refused"]},
                data={"photo_refused": media["refused"], "channel": msg.channel},
            )


def _reject(item_id: int, reason: str) -> InboundItem:
    with transaction.atomic():
        item = InboundItem.objects.select_for_update().get(pk=item_id)
        if item.status == ItemStatus.PENDING:
            _finish(item, Decision.REJECTED, reason, status=ItemStatus.REJECTED)
        return item


def _record_failure(item_id: int, exc: Exception) -> InboundItem:
    with transaction.atomic():
        item = InboundItem.objects.select_for_update().get(pk=item_id)
        item.attempts += 1
        item.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if item.attempts >= settings.LASTMETER_MAX_ATTEMPTS:
            check_item_transition(item.status, ItemStatus.FAILED)
            item.status = ItemStatus.FAILED
            item.next_attempt_at = None
        else:
            check_item_transition(item.status, ItemStatus.PENDING)
            delay = settings.LASTMETER_BACKOFF_S * (2 ** (item.attempts - 1))
            item.next_attempt_at = timezone.now() + timedelta(seconds=min(delay, 6 * 3600))
            defer_retry(item)
        item.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
        return item


def _finish(
    item: InboundItem,
    decision: str,
    reason: str,
    *,
    appeal: Appeal | None = None,
    status: str = ItemStatus.DONE,
    by: Person | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    if item.status != status:
        check_item_transition(item.status, status)
    item.status = status
    item.decision = decision
    item.decision_reason = reason[:4000]
    item.decided_at = timezone.now()
    item.appeal = appeal
    item.next_attempt_at = None
    item.save(
        update_fields=[
            "status",
            "decision",
            "decision_reason",
            "decided_at",
            "appeal",
            "next_attempt_at",
            "subscription",
        ]
    )
    IntakeDecision.objects.create(
        item=item, decision=decision, reason=reason[:4000], appeal=appeal, by=by, data=data or {}
    )


def _apply(item: InboundItem, msg: InboundMessage, outcome: Outcome, *, actor: Person | None) -> None:
    if outcome.decision == Decision.NEW_APPEAL:
        appeal = _create_appeal(item, msg, outcome, actor=actor)
        _finish(item, Decision.NEW_APPEAL, outcome.reason, appeal=appeal, by=actor, data=outcome.data)
        _reply(item, msg, "ack", appeal)
    elif outcome.decision == Decision.UPDATE:
        assert outcome.target is not None
        appeal = _add_update(outcome.target, item, msg, actor=actor)
        _finish(item, Decision.UPDATE, outcome.reason, appeal=appeal, by=actor, data=outcome.data)
        _reply(item, msg, "update", appeal)
    elif outcome.decision == Decision.DUPLICATE:
        assert outcome.target is not None
        appeal = _subscribe(outcome.target, item, msg, actor=actor)
        _finish(item, Decision.DUPLICATE, outcome.reason, appeal=appeal, by=actor, data=outcome.data)
        _reply(item, msg, "duplicate", appeal)
    else:
        _finish(item, outcome.decision, outcome.reason, by=actor, data=outcome.data)


def _create_appeal(
    item: InboundItem, msg: InboundMessage, outcome: Outcome, *, actor: Person | None
) -> Appeal:
    people = {
        p.pk: p
        for p in Person.objects.filter(pk__in=[i for i in (msg.filed_by_id, msg.reporter_person_id) if i])
    }
    ref = dict(msg.reply_ref or {})
    if msg.message_id:
        ref.setdefault("message_id", msg.message_id)
    if msg.chat_id:
        ref.setdefault("chat_id", msg.chat_id)
    data = appeal_services.NewAppeal(
        channel=msg.channel if msg.channel in Channel.values else Channel.API,
        text=msg.text.strip(),
        title=msg.title,
        reporter_name=(msg.sender_name or "")[:100],
        reporter_phone=msg.phone[:40],
        reporter_email=msg.email if "@" in (msg.email or "") else "",
        lat=outcome.lat,
        lon=outcome.lon,
        address=(outcome.address or "")[:300],
        location_confidence=outcome.location_confidence,
        category=outcome.category,
        channel_ref=ref,
        reporter_person=people.get(msg.reporter_person_id or 0),
        filed_by=people.get(msg.filed_by_id or 0),
    )
    appeal = appeal_services.do_create_appeal(data, actor=actor)
    _attach_media(appeal, msg)
    for other_id, score in outcome.data.get("duplicates", [])[:3]:
        record_event(
            appeal,
            EventKind.NOTE,
            None,
            note=_("possible duplicate of appeal #%(id)s (similarity %(sim).2f)")
            % {"id": other_id, "sim": score},
            data={"possible_duplicate": other_id, "score": score},
        )
    return appeal


def _add_update(target: Appeal, item: InboundItem, msg: InboundMessage, *, actor: Person | None) -> Appeal:
    appeal = lock_appeal(target.pk)
    record_event(
        appeal,
        EventKind.UPDATE,
        actor,
        actor_label=(msg.sender_name or "reporter")[:100] if actor is None else "",
        channel=msg.channel,
        note=msg.text.strip()[:4000],
        data={"inbound_item": item.pk, "sender": msg.sender_id, "message_id": msg.message_id},
    )
    _attach_media(appeal, msg)
    appeal.save(update_fields=["updated_at"])
    publish_change(appeal, "appeal.changed")
    return appeal


def _subscribe(target: Appeal, item: InboundItem, msg: InboundMessage, *, actor: Person | None) -> Appeal:
    """Attach the reporter to the open appeal: they get its updates on their own channel.
    Mirrors appeals.services.subscribe for a report that did not become an appeal itself."""
    appeal = lock_appeal(target.pk)
    ref = dict(msg.reply_ref or {})
    subscription = Subscription.objects.create(
        appeal=appeal,
        name=(msg.sender_name or "")[:100],
        phone=msg.phone[:40],
        email=msg.email if "@" in (msg.email or "") else "",
        channel=msg.channel if msg.channel in Channel.values else Channel.API,
        channel_ref=ref,
    )
    item.subscription = subscription
    record_event(
        appeal,
        EventKind.DUPLICATE,
        actor,
        channel=msg.channel,
        note=msg.text.strip()[:4000],
        data={"inbound_item": item.pk, "subscription": subscription.pk, "sender": msg.sender_id},
    )
    return appeal


def _reply(item: InboundItem, msg: InboundMessage, what: str, appeal: Appeal) -> None:
    """Answer in the chat the message came from (outbox: sent after commit, retried), with the
    tracking link that belongs to that chat: the appeal's own link where the appeal came from
    this chat, a follow link (no one's text) for a duplicate, none for an update posted
    elsewhere (the appeal's page shows its reporter's text)."""
    if msg.channel in STRUCTURED or not msg.reply_ref or not channel_can_answer(msg.channel):
        return
    ref = appeal.reference or str(appeal.pk)
    with translation.override(settings.LANGUAGE_CODE):
        if what == "ack":
            body = _("Received: registered as appeal %(ref)s; an officer will contact you soon.") % {
                "ref": ref
            }
            link = tracking_link(appeal)
        elif what == "update":
            body = _("Added to appeal %(ref)s.") % {"ref": ref}
            same_chat = str((appeal.channel_ref or {}).get("chat_id", "")) == str(msg.chat_id or "")
            link = tracking_link(appeal) if appeal.channel == msg.channel and same_chat else ""
        else:
            body = _(
                "This problem has already been reported (appeal %(ref)s); you will be told of its progress."
            ) % {"ref": ref}
            link = follow_link(item.subscription) if item.subscription is not None else ""
        if link:
            body += " " + _("Progress: %(link)s") % {"link": link}
    enqueue(
        key=f"intake:{item.pk}:{what}:{item.decisions.count()}",
        transport=f"channel:{msg.channel}",
        recipient=dict(msg.reply_ref),
        body=body,
        appeal=appeal,
    )


# --- 4. retries ------------------------------------------------------------------------------


def process_pending(limit: int = 50) -> dict[str, int]:
    """Process items that are due (new, or retries whose back-off elapsed), oldest first. Safe to
    run in several workers at once: each item is locked while it is decided."""
    now = timezone.now()
    ids = list(
        InboundItem.objects.filter(status=ItemStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    counts = {"done": 0, "retry": 0, "failed": 0, "rejected": 0}
    for item_id in ids:
        item = process_item(item_id)
        if item.status == ItemStatus.DONE:
            counts["done"] += 1
        elif item.status == ItemStatus.FAILED:
            counts["failed"] += 1
        elif item.status == ItemStatus.REJECTED:
            counts["rejected"] += 1
        else:
            counts["retry"] += 1
    return counts


def requeue_failed(item_id: int | None = None) -> int:
    """Put failed items (one, or all) back in the queue with a fresh attempt count."""
    check_item_transition(ItemStatus.FAILED, ItemStatus.PENDING)
    qs = InboundItem.objects.filter(status=ItemStatus.FAILED)
    if item_id is not None:
        qs = qs.filter(pk=item_id)
    with transaction.atomic():
        ids = list(qs.select_for_update().values_list("pk", flat=True))
        InboundItem.objects.filter(pk__in=ids).update(
            status=ItemStatus.PENDING, attempts=0, next_attempt_at=None
        )
        for pk in ids:
            defer(RETRY_TASK, lock_key=f"intake:{pk}", item_id=pk)
    return len(ids)


# --- 5. staff reversals ----------------------------------------------------------------------


def do_reverse(
    scope: Scope,
    item_id: int,
    *,
    to: str,
    reason: str,
    target_appeal_id: int | None = None,
) -> InboundItem:
    """Staff turn an item's decision into another (REVERSALS says which), with a reason. The
    change and the IntakeDecision recording it are one transaction; appeal-or-not corrections
    are stored as training labels."""
    if not scope.jurisdiction_wide:
        raise appeal_services.NotAllowed("only dispatchers and station staff may reverse intake decisions")
    if not reason.strip():
        raise appeal_services.ServiceError("say why the decision is reversed")
    with transaction.atomic():
        item = InboundItem.objects.select_for_update(of=("self",)).select_related("appeal").get(pk=item_id)
        if item.status != ItemStatus.DONE:
            raise appeal_services.ServiceError(f"item {item.pk} is {item.status}; nothing to reverse")
        if to not in REVERSALS.get(item.decision, frozenset()):
            raise appeal_services.ServiceError(f"a {item.decision} item cannot be turned into {to}")
        msg = _message_for(item)
        before = item.decision
        old_appeal = item.appeal
        note = f"staff: {reason.strip()}"
        target = None
        if target_appeal_id is not None:
            target = Appeal.objects.filter(pk=target_appeal_id).first()
            if target is None:
                raise appeal_services.ServiceError(f"no appeal {target_appeal_id}")
        if to == Decision.NEW_APPEAL:
            if before == Decision.DUPLICATE and item.subscription_id:
                Subscription.objects.filter(pk=item.subscription_id).delete()
                item.subscription = None
            if before == Decision.UPDATE and old_appeal is not None:
                record_event(
                    old_appeal,
                    EventKind.NOTE,
                    scope.person,
                    note=_("the update from inbound item %(item)s was moved to its own appeal")
                    % {"item": item.pk},
                )
            outcome = decide_as_new(item, msg)
            appeal = _create_appeal(item, msg, outcome, actor=scope.person)
            item.status = ItemStatus.DONE
            _finish(item, to, note, appeal=appeal, by=scope.person, data={"from": before})
            if before in (Decision.NOTHING, Decision.IGNORED):
                triage.record_label(
                    msg.text, "appeal", task=LabelTask.APPEAL_OR_NOT, previous="not",
                    source=LabelSource.INTAKE_REVERSAL, appeal=appeal, by=scope.person,
                )  # fmt: skip
            _reply(item, msg, "ack", appeal)
        elif to == Decision.UPDATE:
            if target is None or target.state not in OPEN_STATES:
                raise appeal_services.ServiceError("choose an open appeal to attach the update to")
            appeal = _add_update(target, item, msg, actor=scope.person)
            _finish(item, to, note, appeal=appeal, by=scope.person, data={"from": before})
        elif to == Decision.NOTHING:
            if old_appeal is not None:
                appeal_services.do_close(
                    scope, old_appeal.pk, reason=_("not an appeal: %(reason)s") % {"reason": reason.strip()}
                )
            _finish(item, to, note, appeal=None, by=scope.person, data={"from": before})
            triage.record_label(
                msg.text, "not", task=LabelTask.APPEAL_OR_NOT, previous="appeal",
                source=LabelSource.INTAKE_REVERSAL, appeal=old_appeal, by=scope.person,
            )  # fmt: skip
        elif to == Decision.DUPLICATE:
            if target is None or old_appeal is None:
                raise appeal_services.ServiceError("choose the open appeal this one duplicates")
            appeal_services.do_merge(scope, old_appeal.pk, into_id=target.pk)
            _finish(item, to, note, appeal=_survivor(target), by=scope.person, data={"from": before})
        return item


def decide_as_new(item: InboundItem, msg: InboundMessage) -> Outcome:
    """The new-appeal outcome for an item staff turned into an appeal (category and place as
    triage would have found them)."""
    guess = triage.classify(msg.text)
    lat, lon, address, confidence = msg.lat, msg.lon, msg.address, None
    if lat is None:
        place = triage.place_from_text(msg.text)
        if place is not None:
            lat, lon, address, confidence = place.lat, place.lon, place.name, place.confidence
    category = Category.objects.filter(code=msg.category_code).first() if msg.category_code else None
    return Outcome(
        Decision.NEW_APPEAL,
        "staff decision",
        category=category or guess.category,
        lat=lat,
        lon=lon,
        address=address,
        location_confidence=confidence,
    )
