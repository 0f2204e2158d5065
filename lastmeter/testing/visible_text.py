"""What a page shows a person, and the English UI text in it (for the zh-Hans completeness tests).

``visible_texts(html)`` returns the text a reader sees: element text outside scripts and styles,
plus the attributes a browser shows (placeholder, title, aria-label, alt, the value of buttons)
and the translated strings the page hands its scripts (a JSON block whose id names "strings", or
the ``strings`` object of a JSON block such as ``lm-config``). Text a page marks as not for
translation is left out: elements with ``translate="no"`` (HTML's own attribute for it, used for
raw payloads as received) and computer text in ``<code>``, ``<kbd>`` and ``<samp>``.

``english_runs(text)`` finds runs of ASCII words that are English UI text. Not English UI text:
placeholders ("{n}", "%(ref)s"), numbers, codes and identifiers (anything with a digit, ``_``, ``-``, ``/``, ``.``, ``@``, ``:``,
``=`` or ``#`` in it), single letters (grid "A", unit "m"), units, and the proper nouns and
acronyms in ``ALLOWED`` — product, protocol and data-source names that stay as they are in Chinese.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

# Proper nouns, acronyms and units that are written the same way in a Chinese interface.
ALLOWED = frozenset(
    w.lower()
    for w in (
        # the product and the formats, protocols and libraries it names
        "lastmeter",
        "API",
        "OpenAPI",
        "Swagger",
        "GeoJSON",
        "JSON",
        "CSV",
        "XML",
        "HTML",
        "URL",
        "HTTP",
        "HTTPS",
        "SMS",
        "XLSX",
        "PWA",
        "GPS",
        "SOS",
        "KPI",
        "ID",
        "Open311",
        "GeoReport",
        "Ninja",
        "Django",
        "Leaflet",
        "ECharts",
        # data sources and their licences
        "OSM",
        "OpenStreetMap",
        "contributors",
        "ODbL",
        "CUMCM",
        # the exact solver of grid planning and its method (mixed-integer linear programming)
        "HiGHS",
        "MILP",
        # the hotspot statistic (Getis-Ord Gi*) and its false-discovery-rate correction, as the
        # Chinese statistics literature writes them
        "Gi",
        "FDR",
        "Getis",
        "Ord",
        "PySAL",
        # chat platforms are brand names
        "WeCom",
        "DingTalk",
        "Feishu",
        "Lark",
        "Telegram",
        "WeChat",
        "QQ",
        # the language switcher names each language in its own script
        "English",
        # file formats and units
        "JPEG",
        "PNG",
        "KB",
        "MB",
        "km",
        "min",
        "ms",
        "kg",
        "CV",
        # the prefix of appeal references (LM-2025-000123)
        "LM",
    )
)
# Placeholders a script fills in ("{n}", "%(ref)s") are not words.
_PLACEHOLDER = re.compile(r"\{\w*\}|%\(\w+\)[-+ #0-9.]*[a-z]")
_CHUNK = re.compile(r"[A-Za-z0-9_\-/.@:=#'’&?%+]+")
_CODE = re.compile(r"[0-9_\-/.@:=#&?%+]")
_SHOWN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt", "label")
_BUTTON_INPUTS = ("submit", "button", "reset")
_COMPUTER_TEXT = ("code", "kbd", "samp")
_VOID = frozenset(
    ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr")
)


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0  # depth inside <script>/<style>
        self._untranslated: list[str] = []  # open elements whose text is not for translation
        self._json: list[str] | None = None  # the id of a JSON script block being read, and its text
        self._json_id = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag not in _VOID and (self._untranslated or tag in _COMPUTER_TEXT or a.get("translate") == "no"):
            self._untranslated.append(tag)
            return
        for name in _SHOWN_ATTRIBUTES:
            if a.get(name):
                self.texts.append(a[name])
        if tag == "input" and a.get("type", "").lower() in _BUTTON_INPUTS and a.get("value"):
            self.texts.append(a["value"])
        if tag in ("script", "style"):
            self._skip += 1
            if tag == "script" and "json" in a.get("type", ""):
                self._json, self._json_id = [], a.get("id", "")

    def handle_endtag(self, tag: str) -> None:
        if self._untranslated:
            if tag in self._untranslated:
                while self._untranslated.pop() != tag:
                    pass
            return
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
            if self._json is not None:
                self.texts.extend(_json_strings("".join(self._json), self._json_id))
                self._json = None

    def handle_data(self, data: str) -> None:
        if self._json is not None:
            self._json.append(data)
        elif not self._skip and not self._untranslated:
            self.texts.append(data)


def _json_strings(text: str, block_id: str) -> list[str]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    if "strings" in block_id:
        return list(_leaves(data))
    return list(_leaves(data.get("strings", {}))) if isinstance(data, dict) else []


def _leaves(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _leaves(v)]
    if isinstance(value, list):
        return [s for v in value for s in _leaves(v)]
    return []


def visible_texts(html: str) -> list[str]:
    parser = _Extractor()
    parser.feed(html)
    parser.close()
    return [" ".join(t.split()) for t in parser.texts if t.strip()]


def is_english_word(chunk: str) -> bool:
    word = chunk.strip("'’?.:")
    if len(word) < 2 or _CODE.search(word):
        return False
    return word.lower() not in ALLOWED


def english_runs(text: str) -> list[str]:
    """Runs of consecutive English words in ``text`` ("Log out", "Save"); [] when there are none."""
    text = _PLACEHOLDER.sub(" ", text)
    runs: list[str] = []
    current: list[str] = []
    last_end = 0
    for m in _CHUNK.finditer(text):
        between = text[last_end : m.start()]
        if current and between.strip(" ,;()"):  # something non-ASCII-word in between ends the run
            runs.append(" ".join(current))
            current = []
        if is_english_word(m.group()):
            current.append(m.group())
        elif current:
            runs.append(" ".join(current))
            current = []
        last_end = m.end()
    if current:
        runs.append(" ".join(current))
    return runs


def english_in_page(html: str, ignore: tuple[str, ...] = ()) -> list[str]:
    """Every English run a reader of this page sees, with ``ignore`` (e.g. usernames) taken out."""
    found: list[str] = []
    for text in visible_texts(html):
        for word in ignore:
            text = text.replace(word, " ")
        found += english_runs(text)
    return found


class _Resources(HTMLParser):
    """The URLs a page makes the browser load by itself (scripts, styles, icons, images, frames)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("script", "img", "iframe", "audio", "video", "source") and a.get("src"):
            self.urls.append(a["src"])
        if tag == "link" and a.get("href") and a.get("rel", "") != "canonical":
            self.urls.append(a["href"])


def loaded_resources(html: str) -> list[str]:
    parser = _Resources()
    parser.feed(html)
    parser.close()
    return parser.urls


def external_resources(html: str) -> list[str]:
    """Resources a page loads from another host (a CDN): [] for a page that works offline."""
    return [u for u in loaded_resources(html) if re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", u, re.I)]
