"""Compile every django.po under lastmeter (lastmeter/locale, and the web app's catalogue of
Django's own strings that Django's zh_Hans lacks) into django.mo with polib.

Django's compilemessages needs GNU gettext's msgfmt, which a fresh machine may lack; the
compiled .mo files are committed, and this script (polib, pure Python) rebuilds them.
"""

from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent

for po_path in sorted(ROOT.glob("lastmeter/**/locale/*/LC_MESSAGES/django.po")):
    po = polib.pofile(str(po_path))
    po.save_as_mofile(str(po_path.with_suffix(".mo")))
    print(f"{po_path.relative_to(ROOT)}: {po.percent_translated()}% translated")
