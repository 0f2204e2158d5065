"""The zh-Hans catalogue (the default language) is complete, consistent and compiled.

A missing translation shows English to a Chinese officer or resident; a placeholder lost in
translation crashes the page at render time; a stale .mo silently serves old text.
"""

from __future__ import annotations

import re
from pathlib import Path

import polib  # type: ignore[import-untyped]

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


def _entries() -> list[polib.POEntry]:
    return [e for e in polib.pofile(str(CATALOGUE)) if not e.obsolete]


def test_it_translates_every_string_into_chinese():
    missing = [e.msgid for e in _entries() if not e.translated() or "fuzzy" in e.flags]
    assert missing == []


def test_it_keeps_every_placeholder_in_the_translation():
    broken = []
    for e in _entries():
        wanted = sorted(PLACEHOLDER.findall(e.msgid))
        got = [e.msgstr] if not e.msgid_plural else list(e.msgstr_plural.values())
        broken += [(e.msgid, s) for s in got if sorted(PLACEHOLDER.findall(s)) != wanted]
    assert broken == []


def test_it_ships_a_compiled_catalogue_that_matches_the_source():
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(CATALOGUE.with_suffix(".mo")))}
    source = {(e.msgctxt, e.msgid): e.msgstr for e in _entries() if e.translated() and not e.msgid_plural}
    stale = {k: v for k, v in source.items() if compiled.get(k) != v}
    assert stale == {}


def test_it_shows_residents_the_report_form_in_chinese_by_default(db, client):
    page = client.get("/intake/report/").content.decode()
    assert "姓名" in page and "Name" not in page
    english = client.get("/intake/report/", headers={"accept-language": "en"}).content.decode()
    assert "Name" in english
