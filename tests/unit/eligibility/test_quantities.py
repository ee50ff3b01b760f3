# ruff: noqa: RUF001 - look-alike characters are what these tests are about
"""Number, power-of-ten, unit and comparator forms as registry criteria write them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialdesk.eligibility.ast import Comparator
from trialdesk.eligibility.parse import parse_criterion
from trialdesk.eligibility.quantities import Quantity, fold, read_number, read_quantities

_FULL_WIDTH = str.maketrans({chr(0x21 + i): chr(0xFF01 + i) for i in range(94)})
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")

#: Decimals with up to two decimal places (three would read as thousands: "2,500").
decimals = st.builds(
    lambda whole, cents, places: Decimal(whole) + Decimal(cents).scaleb(-places),
    st.integers(0, 999_999),
    st.integers(1, 99),
    st.sampled_from([1, 2]),
).filter(lambda d: d == d.quantize(Decimal("0.01")))
wholes = st.integers(1, 999_999_999).map(Decimal)


def _grouped(value: Decimal, separator: str) -> str:
    return f"{int(value):,}".replace(",", separator)


def _fraction(value: Decimal) -> str:
    return format(value, "f").split(".")[1]


def _only(text: str) -> Quantity:
    found = read_quantities(fold(text))
    assert len(found) == 1, found
    return found[0]


@given(decimals)
def test_decimal_point_and_decimal_comma(value: Decimal) -> None:
    whole = int(value)
    for written in (f"{whole}.{_fraction(value)}", f"{whole},{_fraction(value)}"):
        quantity = _only(f"{written} mg/dl")
        assert (quantity.value, quantity.unit) == (value, "mg/dL")


@given(decimals.filter(lambda d: d >= 1000), st.sampled_from([(",", "."), (".", ",")]))
def test_thousands_with_a_decimal_part(value: Decimal, separators: tuple[str, str]) -> None:
    thousands, point = separators
    written = f"{_grouped(value, thousands)}{point}{_fraction(value)}"
    assert _only(f"{written} U/L").value == value


@given(wholes.filter(lambda d: d >= 1000))
def test_thousands_separators(value: Decimal) -> None:
    assert _only(f"{_grouped(value, ',')}/mcL").value == value
    assert _only(f"{_grouped(value, ',')}").value == value
    counted = _only(f"{_grouped(value, '.')}/µl")  # "100.000/µl": a count per volume
    assert (counted.value, counted.unit) == (value, "/uL")
    per_cu_mm = _only(f"{_grouped(value, ',')} cells/mm³")
    assert (per_cu_mm.value, per_cu_mm.unit) == (value, "/mm3")


@given(decimals, st.sampled_from([3, 6, 9, 12]), st.sampled_from(["L", "l"]))
def test_powers_of_ten_stay_in_the_unit(value: Decimal, exponent: int, litre: str) -> None:
    number = format(value, "f")
    for written in (
        f"{number} x 10^{exponent}/{litre}",
        f"{number}×10^{exponent}/{litre}",
        f"{number} × 10{str(exponent).translate(_SUPERSCRIPT)}/{litre}",
        f"{number}x10{str(exponent).translate(_SUPERSCRIPT)}/{litre}",
        f"{number} x 10{exponent}/{litre}",  # the superscript lost in the record
        f"{number} X 10E{exponent}/{litre}",
        f"{number} * 10**{exponent}/{litre}",
        f"{number} x 10\\^{exponent}/{litre}",
    ):
        quantity = _only(written)
        assert (quantity.value, quantity.unit, quantity.display) == (
            value,
            f"10*{exponent}/L",
            f"10^{exponent}/L",
        ), written
        assert quantity.problem is None


@given(decimals, st.sampled_from(["/L", "/ L", "/µL", "/mm3"]))
def test_a_lost_exponent_is_a_problem_never_a_unit(value: Decimal, volume: str) -> None:
    quantity = _only(f"{format(value, 'f')} x 10{volume}")
    assert quantity.unit is None
    assert quantity.problem is not None
    assert "lost" in quantity.problem


@given(decimals)
def test_full_width_digits_and_punctuation(value: Decimal) -> None:
    written = f"{format(value, 'f')} x 10^9/L".translate(_FULL_WIDTH)
    quantity = _only(written)
    assert (quantity.value, quantity.unit) == (value, "10*9/L")
    assert quantity.end - quantity.start == len(written)
    parsed = parse_criterion("I1", f"ANC ≥ {written}".translate(_FULL_WIDTH))
    assert parsed.thresholds[0].value == value
    assert parsed.thresholds[0].as_written == f"≥ {written}".translate(_FULL_WIDTH)


def test_ambiguous_separators_are_none() -> None:
    assert read_number("1.5.0") is None
    assert read_number("100.000") == Decimal("100.000")  # a dot: a decimal point
    assert read_number("100.000", count_per_volume=True) == Decimal(100000)
    assert read_number(",5") == Decimal("0.5")


_BEFORE = {
    Comparator.GE: [
        ">=",
        "\\>=",
        ">/=",
        "> /=",
        "=>",
        "=\\>",
        "≥",
        "≧",
        "⩾",
        "＞＝",
        "at least",
        "greater than or equal to",
        "more than or equal to",
        "equal to or greater than",
        "no less than",
        "not less than",
        "a minimum of",
    ],
    Comparator.LE: [
        "<=",
        "\\<=",
        "</=",
        "=<",
        "=\\<",
        "≤",
        "≦",
        "⩽",
        "＜＝",
        "at most",
        "less than or equal to",
        "equal to or less than",
        "no more than",
        "not more than",
        "no greater than",
        "not exceeding",
        "not to exceed",
        "a maximum of",
        "up to",
    ],
    Comparator.GT: [
        ">",
        "\\>",
        "＞",
        "greater than",
        "more than",
        "higher than",
        "above",
        "exceeding",
        "in excess of",
        "over",
    ],
    Comparator.LT: ["<", "\\<", "＜", "less than", "lower than", "below", "under", "fewer than"],
}
_AFTER = {
    Comparator.GE: ["or more", "or greater", "or higher", "or above", "and above", "and over"],
    Comparator.LE: ["or less", "or fewer", "or lower", "or below", "and below"],
}


@given(
    st.sampled_from([(c, s) for c, spellings in _BEFORE.items() for s in spellings]),
    decimals,
    st.sampled_from(["", " "]),
)
def test_comparator_before_the_number(
    spelled: tuple[Comparator, str], value: Decimal, space: str
) -> None:
    comparator, spelling = spelled
    space = " " if spelling[-1].isalpha() else space
    text = f"Platelet count {spelling}{space}{format(value, 'f')}/µL"
    (threshold,) = parse_criterion("I1", text).thresholds
    assert (threshold.measure, threshold.comparator) == ("platelets", comparator)
    assert (threshold.value, threshold.ucum) == (value, "/uL")
    assert threshold.as_written == f"{spelling}{space}{format(value, 'f')}/µL"


@given(st.sampled_from([(c, s) for c, spellings in _AFTER.items() for s in spellings]), decimals)
def test_comparator_after_the_number(spelled: tuple[Comparator, str], value: Decimal) -> None:
    comparator, spelling = spelled
    text = f"Serum creatinine of {format(value, 'f')} mg/dl {spelling}"
    (threshold,) = parse_criterion("I1", text).thresholds
    assert (threshold.measure, threshold.comparator) == ("creatinine", comparator)
    assert (threshold.value, threshold.ucum) == (value, "mg/dL")
    assert threshold.as_written == f"{format(value, 'f')} mg/dl {spelling}"


_ULN = [
    "2.5 x ULN",
    "2.5 X ULN",
    "2.5× ULN",
    "2.5xULN",
    "2.5*ULN",
    "2.5 times ULN",
    "2.5 times the upper limit of normal",
    "2.5 times the upper limit of normal (ULN)",
    "2.5 x institutional upper limit of normal",
    "2.5 × the institutional ULN",
    "2.5 x upper limit of the normal range",
    "2.5 x the upper limits of normal",
    "2.5 x upper normal limit",
    "2.5 x ULRR",
    "2.5-fold ULN",
    "2.5 fold the upper limit of normal",
    "2.5 x the laboratory upper limit of normal",
]


@pytest.mark.parametrize("written", _ULN)
def test_multiples_of_the_upper_limit_of_normal(written: str) -> None:
    quantity = read_quantities(fold(written))[0]
    assert (quantity.value, quantity.unit, quantity.problem) == (Decimal("2.5"), "x ULN", None)
    assert (quantity.start, quantity.end) == (0, len(written))
