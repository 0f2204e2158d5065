"""Cells a spreadsheet will not run: the one helper every CSV/XLSX export uses against formula
("CSV") injection.

A text cell that a spreadsheet could read as a formula — one beginning with = + - @, a tab or a
carriage return, after any leading spaces (LibreOffice skips them), or with the full-width
＝ ＋ － ＠ a Chinese input method types — gets a leading apostrophe, so it is shown as text.
Numbers must be written as numbers (never as text), so they cannot carry a formula at all.

Where it is used: stats/exports.py (the dashboards' CSV and XLSX). The triage taxonomy's CSV
(triage/algorithms/taxonomy.py) is a data file read back by the loader, not a spreadsheet
export, and stays byte-for-byte round-trippable.
"""

from __future__ import annotations

FORMULA_FIRST = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def neutralise(text: str) -> str:
    """``text`` as a cell a spreadsheet shows and does not evaluate."""
    return "'" + text if text.lstrip(" ").startswith(FORMULA_FIRST) else text


__all__ = ["FORMULA_FIRST", "neutralise"]
