"""The shared neutraliser of spreadsheet cells (formula injection)."""

from __future__ import annotations

import pytest

from lastmeter.lib.spreadsheets import neutralise


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "\r=x", '  =HYPERLINK("http://x")', "＝1+1", "＠x"],
)
def test_it_defuses_what_a_spreadsheet_would_run(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["福州路", "A网格", "1+1", "a=b", "", "'quoted"])
def test_it_leaves_plain_text_alone(text):
    assert neutralise(text) == text
