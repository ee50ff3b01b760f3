"""The spreadsheet-safe CSV cell (OWASP, "CSV Injection"): formula-like text is quoted, only it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialdesk.exports.audit_export import spreadsheet_safe

TRIGGERS = "=+-@\t\r"


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        (
            '=HYPERLINK("http://evil.example","click")',
            '\'=HYPERLINK("http://evil.example","click")',
        ),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("+41 79 555 01 01", "'+41 79 555 01 01"),
        ("-1+2", "'-1+2"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-1", "-1"),  # the seed's lowest dose level: a number, not a formula
        ("+2.5e3", "+2.5e3"),
        ("-.5", "-.5"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_formula_like_cells_are_quoted_and_numbers_are_not(cell: str, safe: str) -> None:
    assert spreadsheet_safe(cell) == safe


@given(st.text())
def test_a_cell_is_kept_or_quoted_once_and_the_stored_text_comes_back(cell: str) -> None:
    safe = spreadsheet_safe(cell)
    assert safe in {cell, f"'{cell}"}
    if safe != cell:
        assert cell[:1] in set(TRIGGERS)
        assert safe[1:] == cell


@given(st.sampled_from(TRIGGERS), st.text())
def test_a_cell_left_starting_like_a_formula_is_a_plain_number(start: str, rest: str) -> None:
    cell = start + rest
    if spreadsheet_safe(cell) == cell:
        float(cell)  # raises if it is not a number


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_numbers_are_never_quoted(number: float) -> None:
    text = repr(number)
    assert spreadsheet_safe(text) == text
