"""Residents' names and phone numbers encrypted at rest, and a keyed hash to find them by.

Encryption is ``cryptography``'s Fernet (AES-128-CBC with an HMAC-SHA256, a random IV per value)
through ``MultiFernet``: ``settings.LASTMETER_FIELD_KEYS`` lists the keys, the first encrypts, every
one decrypts, so a new key can be put first and the rows re-encrypted at leisure
(``lastmeter rotate-keys``). A Fernet token is different every time, so nothing can be looked up by
it: a lookup ("the same reporter", an SMS subscriber's "退订") goes through ``phone_hash``, an
HMAC-SHA256 of the normalised number under a separate key (``settings.LASTMETER_HASH_KEY``). The
hash key is separate because it must outlive the encryption keys' rotation (changing it means
recomputing every hash) and because whoever reads the hashes must not be able to decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_CACHE: dict[tuple[str, ...], MultiFernet] = {}


def derived_key(secret: str, purpose: str) -> str:
    """A Fernet-shaped key drawn from ``secret`` (the embedded demo's, when no key is configured).
    Stable for one secret and purpose; never used where ``check --deploy`` passes."""
    digest = hashlib.sha256(f"lastmeter:{purpose}:{secret}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def multifernet(keys: list[str] | tuple[str, ...] | None = None) -> MultiFernet:
    """The MultiFernet of ``keys`` (default: the configured ones, newest first)."""
    chosen = tuple(keys if keys is not None else settings.LASTMETER_FIELD_KEYS)
    if not chosen:
        raise ImproperlyConfigured("LASTMETER_FIELD_KEYS is empty: personal data cannot be encrypted")
    found = _CACHE.get(chosen)
    if found is None:
        try:
            found = MultiFernet([Fernet(key) for key in chosen])
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"LASTMETER_FIELD_KEYS: a key is not a Fernet key (32 url-safe base64 bytes): {exc}"
            ) from None
        _CACHE.clear()  # one configuration at a time; tests switch keys
        _CACHE[chosen] = found
    return found


def encrypt(text: str) -> str:
    """The token of ``text`` under the newest key; the empty string stays empty (it says only
    that there is nothing, which the forms show anyway)."""
    if text == "":
        return ""
    return multifernet().encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """The text of a token made under any configured key. A token none of them opens raises
    ``InvalidToken``: a row must never silently read as empty."""
    if token == "":
        return ""
    return multifernet().decrypt(token.encode("ascii")).decode()


_NOT_DIGIT = re.compile(r"\D")


def normalise_phone(raw: str) -> str:
    """One spelling per number, close to E.164: ``+8613912345678`` for ``139 1234 5678``,
    ``+86-139-1234-5678``, ``008613912345678`` or ``8613912345678``; other numbers keep their
    digits with a ``+`` when they were written internationally. Empty stays empty."""
    text = (raw or "").strip()
    digits = _NOT_DIGIT.sub("", text)
    if not digits:
        return ""
    international = text.startswith("+")
    if digits.startswith("00"):
        digits, international = digits[2:], True
    if not international and len(digits) == 11 and digits.startswith("1"):
        return "+86" + digits  # a mainland mobile number written nationally
    if not international and len(digits) == 13 and digits.startswith("861"):
        return "+" + digits  # 86 without the plus
    if not international and digits.startswith("0"):
        return "+86" + digits[1:]  # a mainland landline with its trunk 0
    return "+" + digits if international else digits


def phone_hash(raw: str, key: str | None = None) -> str:
    """HMAC-SHA256 (hex) of the normalised number under the hash key; "" for no number."""
    number = normalise_phone(raw)
    if not number:
        return ""
    secret = (key if key is not None else settings.LASTMETER_HASH_KEY).encode()
    return hmac.new(secret, number.encode(), hashlib.sha256).hexdigest()


__all__ = [
    "InvalidToken",
    "decrypt",
    "derived_key",
    "encrypt",
    "multifernet",
    "normalise_phone",
    "phone_hash",
]
