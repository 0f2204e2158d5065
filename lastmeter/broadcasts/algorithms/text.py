"""Message text: template variables, SMS segments, the plain and per-platform renderings.

Pure functions (no Django): plain strings in, plain data out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

# {name} placeholders; names are identifiers so that a stray brace in prose is not a variable.
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

# The GSM 03.38 basic character set: a message of these characters only is sent 7-bit (160 per
# single SMS, 153 per part of a concatenated one). Anything else (any Chinese character) makes the
# whole message UCS-2: 70 per single SMS, 67 per part, because the concatenation header (UDH)
# takes 6 of the 140 bytes of each part.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
MAX_SEGMENTS = 10


def placeholders(template: str) -> list[str]:
    """The variable names a template uses, in first-use order."""
    seen: list[str] = []
    for name in PLACEHOLDER.findall(template):
        if name not in seen:
            seen.append(name)
    return seen


def missing_variables(template: str, values: dict[str, str]) -> list[str]:
    return [n for n in placeholders(template) if not str(values.get(n, "")).strip()]


def fill(template: str, values: dict[str, str]) -> str:
    """The template with every placeholder replaced. Precondition: none is missing."""
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]).strip(), template)


@dataclass(frozen=True)
class SmsShape:
    encoding: str  # "GSM-7" or "UCS-2"
    length: int  # characters as the network counts them (UTF-16 units for UCS-2)
    segments: int
    per_segment: int


def sms_shape(text: str) -> SmsShape:
    """Length and number of parts of an SMS as the network bills it."""
    if all(ch in GSM_BASIC for ch in text):
        length, single, part = len(text), 160, 153
        encoding = "GSM-7"
    else:
        # Characters outside the Basic Multilingual Plane (emoji) take two UTF-16 units.
        length, single, part = len(text.encode("utf-16-le")) // 2, 70, 67
        encoding = "UCS-2"
    if length <= single:
        return SmsShape(encoding, length, 1 if length else 0, single)
    return SmsShape(encoding, length, -(-length // part), part)


_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")


def plain_text(markdown: str) -> str:
    """The markdown a broadcast is written in, as plain text for SMS: headings, emphasis and
    list marks dropped, a link kept as "text url", an image as its url."""
    lines = []
    for line in markdown.splitlines():
        line = re.sub(r"^\s{0,3}#{1,6}\s*", "", line)
        line = re.sub(r"^\s*[-*+]\s+", "· ", line)
        line = _IMAGE.sub(r"\1", line)
        line = _LINK.sub(r"\1 \2", line)
        line = _EMPHASIS.sub("", line)
        lines.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def telegram_html(title: str, markdown: str) -> str:
    """Telegram's HTML mode (MarkdownV2 would need every '.' and '-' escaped): a bold title and
    the plain text, escaped."""
    return f"<b>{escape(title)}</b>\n{escape(plain_text(markdown))}"
