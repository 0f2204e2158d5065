"""Text preparation shared by the triage algorithms (pure: no Django).

Chinese and English messages are normalised the same way: Unicode NFKC (so full-width letters, digits
and punctuation become their ASCII forms), spreadsheet artefacts such as ``_x000D_`` removed, ASCII
lower-cased and whitespace collapsed. Word tokens come from jieba; jieba's dictionary is loaded lazily
on first use (about 1–2 s) and can be loaded eagerly with :func:`warm_up`.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

# Exported spreadsheets (the TipDM data, Excel exports of chat history) carry these for "\r".
_ARTEFACTS = re.compile(r"_x000[dDaA]_")
_SPACE = re.compile(r"\s+")
# Runs of CJK ideographs; used to decide how to tokenise and to find place names.
CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(f"[{CJK}]")
# A "token" worth keeping: CJK, letters or digits somewhere inside (drops pure punctuation / emoji).
_WORDLIKE = re.compile(rf"[{CJK}A-Za-z0-9]")
_MENTION = re.compile(r"@\S+")
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

_jieba_lock = threading.Lock()
_jieba: Any = None

# Every stage reads at most this many characters of a message (the classifier 600, keywords 800 …):
# a long letter is normalised once, up to here, and each stage slices what it needs.
PREPARED_CHARS = 1600


def normalise(text: str) -> str:
    """Canonical form of ``text`` for matching and features. Idempotent; never raises on any str."""
    text = _ARTEFACTS.sub(" ", text)
    text = unicodedata.normalize("NFKC", text)
    # Lower-case only ASCII: str.lower() on the whole text could change rare non-Latin letters' meaning.
    text = text.translate(_ASCII_LOWER)
    return _SPACE.sub(" ", text).strip()


def strip_noise(text: str, *, normalised: bool = False) -> str:
    """``normalise`` minus @mentions and URLs (they say who is addressed, not what the problem is).
    ``normalised``: ``text`` is already normalised (skip that step)."""
    text = _URL.sub(" ", text if normalised else normalise(text))
    return _SPACE.sub(" ", _MENTION.sub(" ", text)).strip()


@dataclass(frozen=True, slots=True)
class Prepared:
    """A message normalised once and shared by every triage stage (kind, category, place,
    duplicates), so a letter is not normalised four times. Build it with :func:`prepare`.

    ``raw``: the first :data:`PREPARED_CHARS` characters of the text; ``norm``: ``normalise(raw)``."""

    raw: str
    norm: str


def prepare(text: str | Prepared) -> Prepared:
    """The shared form of ``text`` (returned unchanged if it is one already)."""
    if isinstance(text, Prepared):
        return text
    raw = text[:PREPARED_CHARS]
    return Prepared(raw, normalise(raw))


def normalised_head(text: str | Prepared, max_chars: int) -> str:
    """``normalise(text)`` cut to ``max_chars`` characters, reusing a :class:`Prepared` form."""
    if isinstance(text, Prepared):
        return text.norm[:max_chars]
    return normalise(text[: 2 * max_chars])[:max_chars]


def has_cjk(text: str) -> bool:
    """True when ``text`` contains at least one CJK ideograph."""
    return _CJK_CHAR.search(text) is not None


def is_wordlike(token: str) -> bool:
    """True for tokens carrying letters, digits or ideographs (not punctuation, emoji or space)."""
    return _WORDLIKE.search(token) is not None


def _get_jieba() -> Any:
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba


def warm_up() -> None:
    """Load jieba's dictionary now instead of on the first message (call once at process start)."""
    _get_jieba()


def tokens(text: str | Prepared, max_chars: int | None = None) -> list[str]:
    """Word tokens of ``text`` (normalised first): jieba words for Chinese, words for Latin script.

    ``max_chars`` bounds the work on very long letters (jieba costs ~6 µs per character): only the
    first ``max_chars`` characters are tokenised. HMM new-word discovery is off: it is slower and adds
    little for classification.
    """
    if isinstance(text, Prepared):
        text = text.norm if max_chars is None else text.norm[:max_chars]
    else:
        text = normalise(text)
    if max_chars is not None:
        text = text[:max_chars]
    if not text:
        return []
    if not has_cjk(text):
        return [t for t in re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text)]
    return [t for t in _get_jieba().lcut(text, HMM=False) if t.strip() and is_wordlike(t)]


def clean_pretokenised(words: list[str] | tuple[str, ...] | str) -> list[str]:
    """Tokens from an already segmented text (a list, or one space-separated string), cleaned like
    :func:`tokens` output: artefacts dropped, normalised, punctuation-only tokens removed."""
    if isinstance(words, str):
        words = words.split()
    out = []
    for w in words:
        w = normalise(w)
        for part in w.split(" "):
            if part and is_wordlike(part):
                out.append(part)
    return out


_CJK_SPACE = re.compile(rf"(?<=[{CJK}]) (?=[{CJK}])")


def char_text(text: str | Prepared, max_chars: int | None = None) -> str:
    """Normalised text for character n-gram features: spaces between CJK characters are removed so a
    segmented text and its raw original yield the same n-grams."""
    if isinstance(text, Prepared):
        text = text.norm if max_chars is None else text.norm[:max_chars]
    else:
        text = normalise(text)
    if max_chars is not None:
        text = text[:max_chars]
    return _CJK_SPACE.sub("", text)
