"""Importers: exported chat history (plain text or CSV) and hotline call logs (CSV).

Every line/row becomes an inbound item with a key derived from its content, so importing the same
file twice changes nothing. A file is validated whole first: one bad row and nothing is imported.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from lastmeter.appeals.choices import Channel
from lastmeter.intake.channels.base import InboundMessage, Mention
from lastmeter.intake.services import submit
from lastmeter.lib.geo import validate_lat_lon
from lastmeter.lib.importfiles import ImportRefused, read_import_text

# "2026-11-20 08:01 张三: text" (WeChat/Telegram-style exports; ：or :, seconds optional)
LINE = re.compile(
    r"^\s*\[?(?P<at>\d{4}[-/.]\d{1,2}[-/.]\d{1,2}[ T]\d{1,2}:\d{2}(?::\d{2})?)\]?\s+(?P<who>[^:：]{1,40}?)\s*[:：]\s?(?P<text>.*)$"
)
# "2026-11-20 08:01:05 张三" alone on a line, the message on the following lines (WeChat PC export)
HEADER = re.compile(
    r"^\s*(?P<at>\d{4}[-/.]\d{1,2}[-/.]\d{1,2}[ T]\d{1,2}:\d{2}(?::\d{2})?)\s+(?P<who>\S.{0,40})$"
)


class ImportErrorWithLine(ValueError):
    pass


@dataclass
class ChatLine:
    at: datetime
    sender: str
    text: str
    message_id: str = ""
    reply_to: str = ""
    line: int = 0


def _when(value: str, line: int) -> datetime:
    value = value.strip().replace("/", "-").replace(".", "-").replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            # Exports show local wall-clock time: read it in the deployment's time zone.
            return datetime.strptime(value, fmt).replace(tzinfo=timezone.get_current_timezone())
        except ValueError:
            continue
    raise ImportErrorWithLine(f"line {line}: {value!r} is not a date and time")


def read_text(path: Path) -> str:
    """The file's text: size, type (gzip or plain) and UTF-8 checked by ``read_import_text``."""
    try:
        return read_import_text(path)
    except ImportRefused as exc:
        raise ImportErrorWithLine(str(exc)) from None


def parse_chat(path: Path) -> list[ChatLine]:
    text = read_text(path)
    if path.suffix.lower() == ".csv":
        return _parse_chat_csv(text)
    lines: list[ChatLine] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        m = LINE.match(line)
        if m:
            lines.append(ChatLine(_when(m["at"], number), m["who"].strip(), m["text"].strip(), line=number))
            continue
        h = HEADER.match(line)
        if h:
            lines.append(ChatLine(_when(h["at"], number), h["who"].strip(), "", line=number))
            continue
        if not lines:
            raise ImportErrorWithLine(f"line {number}: expected 'YYYY-MM-DD HH:MM name: text'")
        lines[-1].text = (lines[-1].text + "\n" + line.strip()).strip()  # a continuation line
    if not lines:
        raise ImportErrorWithLine(f"{path}: no messages found")
    return lines


def _column(fields, *names: str) -> str:
    return next((f for f in fields if f.strip().lower() in names), "")


def _parse_chat_csv(text: str) -> list[ChatLine]:
    reader = csv.DictReader(io.StringIO(text))
    fields = reader.fieldnames or []
    at, who, body = _column(fields, "time", "date", "时间"), _column(fields, "sender", "name", "发送人"), ""
    body = _column(fields, "text", "message", "content", "内容")
    if not (at and who and body):
        raise ImportErrorWithLine(f"CSV needs time, sender and text columns, found {fields}")
    mid, reply = _column(fields, "message_id", "id"), _column(fields, "reply_to", "quote")
    out = []
    for number, row in enumerate(reader, start=2):
        out.append(
            ChatLine(
                _when(row.get(at) or "", number),
                (row.get(who) or "").strip(),
                (row.get(body) or "").strip(),
                message_id=(row.get(mid) or "").strip() if mid else "",
                reply_to=(row.get(reply) or "").strip() if reply else "",
                line=number,
            )
        )
    return out


def import_chat(path: Path | str, *, group: str) -> dict[str, int]:
    """Import one exported chat: each message is triaged like a live one (appeal, update,
    duplicate, nothing). Returns the count per decision."""
    path = Path(path)
    lines = parse_chat(path)
    seen: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    names = settings.LASTMETER_BOT_NAMES
    for line in lines:
        digest = hashlib.sha256(f"{line.at.isoformat()}|{line.sender}|{line.text}".encode()).hexdigest()[:32]
        seen[digest] += 1
        key = f"{group}:{digest}:{seen[digest]}"
        message_id = line.message_id or digest
        mentions = [Mention(id=n, name=n, is_bot=True) for n in names if f"@{n}" in line.text]
        msg = InboundMessage(
            channel=Channel.CHAT_IMPORT,
            text=line.text,
            kind="text" if line.text else "other",
            sender_id=line.sender,
            sender_name=line.sender,
            chat_id=group,
            chat_title=group,
            message_id=message_id,
            is_group=True,
            mentions=mentions,
            mentions_bot=bool(mentions),
            quoted_message_id=line.reply_to,
            sent_at=line.at,
        )
        body = json.dumps(
            {"line": line.line, "at": line.at.isoformat(), "sender": line.sender, "text": line.text}
        )
        item, created = submit(msg, key=key, body=body.encode(), source=f"{path.name} ({group})")
        counts[item.decision or item.status if created else "already imported"] += 1
    return dict(counts)


@dataclass
class CallRow:
    line: int
    call_id: str
    at: datetime | None
    name: str
    phone: str
    text: str
    address: str
    lat: float | None
    lon: float | None
    category: str


def parse_calls(path: Path) -> list[CallRow]:
    reader = csv.DictReader(io.StringIO(read_text(path)))
    fields = reader.fieldnames or []
    col = {
        "id": _column(fields, "call_id", "id", "工单号"),
        "at": _column(fields, "time", "called_at", "来电时间"),
        "name": _column(fields, "caller", "caller_name", "name", "来电人"),
        "phone": _column(fields, "phone", "caller_phone", "来电号码"),
        "text": _column(fields, "text", "summary", "content", "来电内容"),
        "address": _column(fields, "address", "地址"),
        "lat": _column(fields, "lat", "latitude"),
        "lon": _column(fields, "lon", "lng", "longitude"),
        "category": _column(fields, "category", "分类"),
    }
    if not col["text"]:
        raise ImportErrorWithLine(f"{path}: needs a text/summary column, found {fields}")
    rows, errors = [], []
    for number, row in enumerate(reader, start=2):
        try:
            text = (row.get(col["text"]) or "").strip()
            if not text:
                raise ImportErrorWithLine(f"line {number}: empty text")
            lat = float(row[col["lat"]]) if col["lat"] and (row.get(col["lat"]) or "").strip() else None
            lon = float(row[col["lon"]]) if col["lon"] and (row.get(col["lon"]) or "").strip() else None
            validate_lat_lon(lat, lon)
            at = _when(row[col["at"]], number) if col["at"] and (row.get(col["at"]) or "").strip() else None
            rows.append(
                CallRow(
                    number,
                    (row.get(col["id"]) or "").strip() if col["id"] else "",
                    at,
                    (row.get(col["name"]) or "").strip() if col["name"] else "",
                    (row.get(col["phone"]) or "").strip() if col["phone"] else "",
                    text,
                    (row.get(col["address"]) or "").strip() if col["address"] else "",
                    lat,
                    lon,
                    (row.get(col["category"]) or "").strip() if col["category"] else "",
                )
            )
        except ValueError as exc:
            errors.append(str(exc) if str(exc).startswith("line") else f"line {number}: {exc}")
    if errors:
        raise ImportErrorWithLine("; ".join(errors[:20]))
    return rows


def import_calls(path: Path | str, *, submitted_by=None) -> dict[str, int]:
    path = Path(path)
    counts: Counter[str] = Counter()
    for row in parse_calls(path):
        ident = row.call_id or hashlib.sha256(f"{row.at}|{row.phone}|{row.text}".encode()).hexdigest()[:32]
        msg = InboundMessage(
            channel=Channel.HOTLINE,
            text=row.text,
            sender_id=row.phone,
            sender_name=row.name,
            phone=row.phone,
            address=row.address,
            lat=row.lat,
            lon=row.lon,
            category_code=row.category,
            sent_at=row.at,
            filed_by_id=submitted_by.pk if submitted_by else None,
        )
        body = json.dumps(
            {"line": row.line, **{k: str(v) for k, v in row.__dict__.items()}}, ensure_ascii=False
        )
        item, created = submit(
            msg, key=f"call:{ident}", body=body.encode(), source=path.name, submitted_by=submitted_by
        )
        counts[item.decision or item.status if created else "already imported"] += 1
    return dict(counts)
