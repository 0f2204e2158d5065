"""Compile every django.po under lastmeter/locale into django.mo with polib.

Django's compilemessages needs GNU gettext's msgfmt, which a fresh machine may lack; the
compiled .mo files are committed, and this script (polib, pure Python) rebuilds them.
"""

from pathlib import Path

import polib

for po_path in Path(__file__).resolve().parent.parent.glob("lastmeter/locale/*/LC_MESSAGES/django.po"):
    po = polib.pofile(str(po_path))
    po.save_as_mofile(str(po_path.with_suffix(".mo")))
    print(f"{po_path.relative_to(po_path.parents[4])}: {po.percent_translated()}% translated")
