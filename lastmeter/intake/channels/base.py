"""The shared shape of every inbound channel: parse → verify → normalise to an InboundMessage.

A chat platform's adapter subclasses :class:`ChannelAdapter`. The webhook view (intake.views)
drives it: size check, ``verify`` (signature, secret, freshness), ``parse`` (envelope, platform
idempotency key), store the raw item, ``normalise``. Adapters never touch the database: the
services decide what a message becomes.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar


class ChannelError(Exception):
    """Refused input. ``status`` is the HTTP status; ``store`` says whether the raw request was
    authentic and is kept (e.g. malformed content behind a valid signature)."""

    status = 400
    store = True

    def __init__(self, message: str, *, status: int | None = None, store: bool | None = None):
        super().__init__(message)
        if status is not None:
            self.status = status
        if store is not None:
            self.store = store


class NotAuthentic(ChannelError):
    """Missing or wrong signature/secret, or a stale timestamp (a replay): not stored."""

    status = 401
    store = False


class BadPayload(ChannelError):
    """Authentic but unusable: malformed JSON/XML, wrong encoding, empty text. Stored as rejected."""

    status = 400
    store = True


@dataclass
class RawRequest:
    """What arrived, before any interpretation."""

    method: str
    body: bytes
    headers: dict[str, str]
    query: dict[str, str]
    content_type: str = ""

    def header(self, name: str) -> str:
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return ""


@dataclass
class Mention:
    id: str = ""
    name: str = ""
    is_bot: bool = False


@dataclass
class InboundMessage:
    """One message from anyone, normalised. Times are aware UTC; ``reply_ref`` is what the
    channel's reply sender needs to answer (stored as the appeal's channel_ref)."""

    channel: str
    text: str
    sender_id: str = ""
    sender_name: str = ""
    chat_id: str = ""
    chat_title: str = ""
    message_id: str = ""
    is_group: bool = False
    mentions: list[Mention] = field(default_factory=list)
    mentions_bot: bool = False
    quoted_message_id: str = ""
    quoted_text: str = ""
    sent_at: datetime | None = None
    kind: str = "text"  # text, image, file, sticker, system…: only text is triaged
    reply_ref: dict[str, Any] = field(default_factory=dict)
    # Structured channels (web form, hotline, Open311, API) fill these directly.
    phone: str = ""
    email: str = ""
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    title: str = ""
    category_code: str = ""
    filed_by_id: int | None = None
    reporter_person_id: int | None = None
    media: list[dict[str, str]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["sent_at"] = self.sent_at.isoformat() if self.sent_at else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InboundMessage:
        data = dict(data)
        data["mentions"] = [Mention(**m) for m in data.get("mentions") or []]
        sent = data.get("sent_at")
        data["sent_at"] = datetime.fromisoformat(sent) if sent else None
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class Envelope:
    """A parsed delivery: the payload, the platform's idempotency key, and, for control requests
    (URL verification challenges), the response to give instead of storing anything."""

    payload: Any
    idempotency_key: str
    control_response: Any = None
    content_type: str = "application/json"


@dataclass
class Ignored:
    """A delivery that is not a message to triage (a member joined, a reaction…), with why."""

    reason: str


class ChannelAdapter:
    """Base of the chat-platform adapters. Subclasses set ``kind`` and implement the three steps.

    Preconditions for ``verify``/``parse``: ``raw.body`` is at most MAX_BODY_BYTES long.
    """

    kind: ClassVar[str] = ""

    def configured(self) -> bool:
        """False until the platform's secrets are set: the endpoint then answers 404."""
        raise NotImplementedError

    def verify(self, raw: RawRequest) -> None:
        """Raise NotAuthentic unless the request provably comes from the platform and is fresh."""
        raise NotImplementedError

    def replay_nonce(self, raw: RawRequest) -> str | None:
        """The value that makes this signed request unique (its timestamp with the platform's nonce
        or signature), remembered for the replay window: a second request with the same value and
        another body is a replay with forged content and is refused (lastmeter.intake.replay).
        None: the platform sends no such value (Telegram: a fixed secret; its update_id dedupes).
        Called after ``verify``."""
        return None

    def parse(self, raw: RawRequest) -> Envelope:
        """Decode the body (after verify). Raise BadPayload for malformed content."""
        raise NotImplementedError

    def normalise(self, envelope: Envelope) -> InboundMessage | Ignored:
        """Turn the payload into an InboundMessage. Raise BadPayload for unusable messages."""
        raise NotImplementedError

    def handle_get(self, raw: RawRequest) -> tuple[int, str] | None:
        """URL verification by GET (WeCom echostr). None: GET is not supported."""
        return None

    def ok_response(self) -> Any:
        return {"ok": True}


def body_key(body: bytes) -> str:
    """Fallback idempotency key: the body's digest (a byte-identical redelivery is one item)."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


def decode_utf8(body: bytes, charset: str = "") -> str:
    """Decode a body. UTF-8 is required, except that a body declared GBK/GB2312/GB18030 in its
    Content-Type charset is decoded as GB18030 (a superset), since some gateways still send it."""
    cs = (charset or "").strip().lower().replace("_", "-")
    if cs in {"gbk", "gb2312", "gb18030", "cp936"}:
        try:
            return body.decode("gb18030")
        except UnicodeDecodeError:
            raise BadPayload(f"the body is not valid {cs.upper()} text") from None
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadPayload(
            "the body is not valid UTF-8: send UTF-8, or declare charset=GBK in Content-Type"
        ) from None


def charset_of(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset":
            return value.strip().strip('"')
    return ""


def parse_json(raw: RawRequest) -> Any:
    """The body as JSON (UTF-8, or GBK when declared). BadPayload for anything else."""
    import json

    text = decode_utf8(raw.body, charset_of(raw.content_type or raw.header("Content-Type")))
    try:
        return json.loads(text)
    except ValueError as exc:
        raise BadPayload(f"malformed JSON: {exc}") from None


def obj(container: Any, key: str) -> dict[str, Any]:
    """``container[key]`` when both are JSON objects, else an empty dict (lenient reading)."""
    value = container.get(key) if isinstance(container, dict) else None
    return value if isinstance(value, dict) else {}


def from_epoch(value: Any, *, millis: bool = False) -> datetime | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if millis:
        number /= 1000.0
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


_registry: dict[str, type[ChannelAdapter]] = {}


def register(cls: type[ChannelAdapter]) -> type[ChannelAdapter]:
    """Class decorator: make an adapter reachable at /intake/hooks/<kind>/."""
    _registry[cls.kind] = cls
    return cls


def adapter_for(kind: str) -> ChannelAdapter | None:
    from lastmeter.intake import channels  # noqa: F401  (imports every adapter module)

    cls = _registry.get(kind)
    return cls() if cls else None


def registered_kinds() -> list[str]:
    from lastmeter.intake import channels  # noqa: F401

    return sorted(_registry)
