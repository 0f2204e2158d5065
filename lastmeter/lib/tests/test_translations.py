"""The zh-Hans catalogue (the default language) is complete, consistent and compiled.

A missing translation shows English to a Chinese officer or resident; a placeholder lost in
translation crashes the page at render time; a stale .mo silently serves old text. Every message
the code marks for translation has a zh-Hans entry (extracted as `make i18n` would, into a scratch
catalogue); the pages themselves are checked in lastmeter/web/tests/test_zh_hans_everywhere.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib  # type: ignore[import-untyped]
import pytest

PACKAGE = Path(__file__).resolve().parents[2]
CATALOGUE = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# lastmeter's own strings, and (web/locale) Django's own strings that Django's zh_Hans lacks.
CATALOGUES = sorted(PACKAGE.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


def _entries() -> list[polib.POEntry]:
    return [e for po in CATALOGUES for e in polib.pofile(str(po)) if not e.obsolete]


def test_it_reads_both_catalogues():
    assert CATALOGUE in CATALOGUES and len(CATALOGUES) == 2


def test_it_states_each_message_once():
    # Entries appended by hand at the end of the file must not repeat one makemessages wrote.
    for po in CATALOGUES:
        keys = [(e.msgctxt, e.msgid) for e in polib.pofile(str(po)) if not e.obsolete]
        assert len(keys) == len(set(keys)), po


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
    for po in CATALOGUES:
        compiled = {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(po.with_suffix(".mo")))}
        source = {
            (e.msgctxt, e.msgid): e.msgstr
            for e in polib.pofile(str(po))
            if not e.obsolete and e.translated() and not e.msgid_plural
        }
        stale = {k: v for k, v in source.items() if compiled.get(k) != v}
        assert stale == {}, po


def test_it_shows_residents_the_report_form_in_chinese_by_default(db, client):
    page = client.get("/intake/report/").content.decode()
    assert "姓名" in page and "Name" not in page
    english = client.get("/intake/report/", headers={"accept-language": "en"}).content.decode()
    assert "Name" in english


def _extracted_messages(tmp_path: Path) -> polib.POFile:
    """The messages the code marks for translation, extracted by Django's makemessages (as
    `make i18n` does) from a copy of the package into a scratch catalogue: the real one is never
    rewritten (a whole-file rewrite would conflict with every other change to it)."""
    copy = tmp_path / "lastmeter"
    shutil.copytree(
        PACKAGE,
        copy,
        ignore=shutil.ignore_patterns("locale", "__pycache__", "tests", "testing", "data", "*.mo", "*.po"),
    )
    (copy / "locale").mkdir()
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        f"settings.LOCALE_PATHS = [{str(copy / 'locale')!r}]\n"
        "from django.core.management import call_command\n"
        "call_command('makemessages', locale=['zh_Hans'], verbosity=0, ignore_patterns=['*/tests/*', 'testing/*'])\n"
    )
    env = dict(os.environ, PYTHONPATH=str(PACKAGE.parent), DJANGO_SETTINGS_MODULE="lastmeter.settings")
    env["LASTMETER_VAR_DIR"] = str(tmp_path / "var")
    subprocess.run([sys.executable, "-c", script], cwd=copy, env=env, check=True)
    return polib.pofile(str(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))


def test_it_has_a_translation_for_every_message_in_the_code(tmp_path):
    if shutil.which("xgettext") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("this test needs GNU gettext's xgettext (apt-get install gettext)")
        pytest.skip("needs GNU gettext's xgettext (apt-get install gettext)")
    translated = {(e.msgctxt, e.msgid) for e in _entries() if e.translated() and "fuzzy" not in e.flags}
    missing = [
        f"{e.msgid!r} ({e.occurrences[0][0] if e.occurrences else '?'})"
        for e in _extracted_messages(tmp_path)
        if (e.msgctxt, e.msgid) not in translated
    ]
    assert missing == [], (
        "append zh-Hans entries at the end of lastmeter/locale/zh_Hans/LC_MESSAGES/django.po"
    )
