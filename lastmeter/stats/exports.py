"""CSV and XLSX files of a dashboard's tables (openpyxl writes the XLSX).

The figures are aggregates, so no personal data leaves by default; the views still write an
access-log row for every export (who exported which table of whose figures for which range).

Text cells are neutralised against CSV/formula injection (lib/spreadsheets.py, shared by every
export): a name that begins with = + - @, a tab or a carriage return gets a leading apostrophe, so a spreadsheet shows it as text instead of
running it (a category or grid name is typed by staff; an appeal could suggest a category name).
Numbers are written as numbers, never as text, so they cannot carry a formula.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from lastmeter.lib.spreadsheets import neutralise
from lastmeter.stats.dashboard_parts import Column, Dashboard, DashTable, kpi_table

NUMBER_FORMATS = {
    "rate": "0.0%",
    "change": "+0.0%;-0.0%;0.0%",
    "hours": "0.0",
    "minutes": "0.0",
    "days": "0.0",
    "score": "0.00",
    "count": "0",
}


def _kind(column: Column, row: dict[str, Any]) -> str:
    return row.get("kind", "count") if column.kind == "value" else column.kind


def csv_value(column: Column, row: dict[str, Any]) -> Any:
    """A cell as CSV text: rates and changes as percentages (the headers say %), None empty."""
    value = row.get(column.key)
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if _kind(column, row) in ("rate", "change"):
        return round(value * 100, 2)
    return value


def table_csv(table: DashTable) -> bytes:
    """One table as UTF-8 CSV with a byte-order mark (so spreadsheet programs read the Chinese)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralise(c.label) for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_value(c, row) for c in table.columns])
    return out.getvalue().encode("utf-8-sig")


def _sheet_title(title: str, taken: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ and unique in the workbook.
    base = re.sub(r"[\[\]:*?/\\]", " ", title)[:28] or "table"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}{n}", n + 1
    taken.add(name)
    return name


def tables_xlsx(dashboard: Dashboard, tables: list[DashTable]) -> bytes:
    """The tables as sheets of one workbook, rates and changes as numbers formatted as %."""
    book = Workbook(write_only=False)
    book.remove(book.active)  # type: ignore[arg-type]
    taken: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(_sheet_title(table.title, taken))
        sheet.append([neutralise(c.label) for c in table.columns])
        for r, row in enumerate(table.rows, start=2):
            for col, column in enumerate(table.columns, start=1):
                value = row.get(column.key)
                cell = sheet.cell(
                    row=r, column=col, value=neutralise(value) if isinstance(value, str) else value
                )
                if cell.data_type == "s":
                    continue
                fmt = NUMBER_FORMATS.get(_kind(column, row))
                if fmt:
                    cell.number_format = fmt
        for col, column in enumerate(table.columns, start=1):
            sheet.column_dimensions[get_column_letter(col)].width = max(
                10, min(40, len(column.label) * 2 + 2)
            )
        sheet.freeze_panes = "B2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_tables(dashboard: Dashboard, name: str | None) -> list[DashTable]:
    """The tables an export holds: the one named, or (``None``) the headline figures and every
    table. KeyError for a name the dashboard does not have."""
    if name is None:
        return [kpi_table(dashboard), *dashboard.tables]
    if name == "kpis":
        return [kpi_table(dashboard)]
    return [dashboard.table(name)]


def export_filename(dashboard: Dashboard, name: str | None, extension: str) -> str:
    """lastmeter-<level>-<target code>-<from>_<to>[-<table>].<ext>, ASCII only."""
    code = (
        re.sub(r"[^A-Za-z0-9_-]+", "-", dashboard.target_code or str(dashboard.target_id)).strip("-") or "x"
    )
    parts = ["lastmeter", dashboard.level, code, f"{dashboard.start.isoformat()}_{dashboard.end.isoformat()}"]
    if name:
        parts.append(name)
    return "-".join(parts) + "." + extension


__all__ = ["export_filename", "export_tables", "neutralise", "table_csv", "tables_xlsx"]
