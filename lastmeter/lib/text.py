"""Text helpers: masking personal data for lists."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """138****5678 style: keep the first three and last four digits of long numbers."""
    digits = phone.strip()
    if not digits:
        return ""
    if len(digits) >= 8:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return digits[:1] + "*" * (len(digits) - 1)


def mask_name(name: str) -> str:
    """张** / J*** — enough to recognise one's own appeal, not enough to identify someone."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)
