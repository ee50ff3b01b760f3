"""Units: UCUM codes, exact conversions with their cited factors, refusals naming both units."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialdesk.clinical.errors import ClinicalInputError, UnitError
from trialdesk.clinical.units import (
    ANALYTE_FACTORS,
    UNITS,
    Quantity,
    conversion_factor,
    parse_unit,
)


def q(value: str, unit: str) -> Quantity:
    return Quantity.of(value, unit)


@pytest.mark.parametrize(
    ("value", "unit", "target", "analyte", "expected"),
    [
        # UCUM: uL = mm3 = 10*-6 L, so 10*3/uL = 10*9/L and /uL = 10*-3 x 10*9/L
        ("50", "10*9/L", "/uL", None, "50000"),  # NCT07329959: platelets < 50,000/uL
        ("60", "10*3/uL", "10*9/L", None, "60"),
        ("1500", "/mm3", "10*9/L", None, "1.5"),  # CTCAE "1500/mm3; 1.5 x 10e9/L"
        ("0.5", "10^9/L", "/uL", None, "500"),  # alias of 10*9/L
        # creatinine mg/dL -> umol/L x 88.42 (M = 113.12 g/mol)
        ("2.5", "mg/dL", "umol/L", "creatinine", "221.05"),
        # bilirubin mg/dL -> umol/L x 17.1 (M = 584.66 g/mol)
        ("3", "mg/dL", "umol/L", "bilirubin", "51.3"),
        # haemoglobin: g/dL -> g/L x 10; g/dL -> mmol/L x 0.6206 (monomer)
        ("10.0", "g/dL", "g/L", None, "100"),
        ("10", "g/dL", "mmol/L", "haemoglobin", "6.206"),
        # haematocrit % -> L/L x 0.01
        ("30", "%", "L/L", None, "0.3"),
        # enzymes: U/L = IU/L; 1 ukat/L = 60 U/L
        ("40", "IU/L", "U/L", None, "40"),
        ("1", "ukat/L", "U/L", None, "60"),
        # CRP mg/dL -> mg/L x 10
        ("1.2", "mg/dL", "mg/L", None, "12"),
        # DLCO: mmol/min/kPa = mL/min/mmHg / 2.987 (ERS/ATS 2017; GLI-2017)
        ("29.87", "mL/min/mmHg", "mmol/min/kPa", "dlco", "10"),
        ("10", "mmol/min/kPa", "mL/min/mm[Hg]", "dlco", "29.87"),
        ("140", "mEq/L", "mmol/L", "sodium", "140"),
    ],
)
def test_conversions_match_the_cited_factors(
    value: str, unit: str, target: str, analyte: str | None, expected: str
) -> None:
    assert q(value, unit).to(target, analyte).value == Decimal(expected)


def test_aliases_are_stored_as_their_ucum_code() -> None:
    assert q("1", "10^9/L").unit == "10*9/L"
    assert q("1", "IU/L").unit == "[IU]/L"
    assert q("1", "mL/min/mmHg").unit == "mL/min/mm[Hg]"


def test_dlco_factor_is_exactly_one_over_2_987() -> None:
    assert conversion_factor("mL/min/mm[Hg]", "mmol/min/kPa", "dlco") == Fraction(1000, 2987)


def test_every_analyte_factor_joins_two_dimensions_and_cites_a_source() -> None:
    for row in ANALYTE_FACTORS:
        assert parse_unit(row.from_unit).dimension is not parse_unit(row.to_unit).dimension
        assert row.factor > 0
        assert len(row.source) > 20


def test_different_dimensions_are_refused_naming_both_units() -> None:
    with pytest.raises(UnitError, match=r"mg/dL.*10\*9/L|10\*9/L.*mg/dL"):
        q("1", "mg/dL").to("10*9/L")


def test_crossing_dimensions_needs_the_analyte() -> None:
    with pytest.raises(UnitError, match=r"umol/L"):
        q("1", "mg/dL").to("umol/L")
    with pytest.raises(UnitError, match="for sodium"):
        q("1", "mg/dL").to("umol/L", "sodium")


def test_order_comparisons_convert_exactly_and_refuse_other_dimensions() -> None:
    assert q("1", "g/dL") > q("9.9", "g/L")
    assert q("1", "g/dL") >= q("10", "g/L")
    assert q("50", "10*9/L") <= q("50000", "/uL")
    assert q("49.999", "10*9/L") < q("50000", "/uL")
    with pytest.raises(UnitError):
        assert q("1", "g/dL") < q("1", "10*9/L")


def test_unknown_unit_and_bad_values_are_refused() -> None:
    with pytest.raises(UnitError, match="furlong"):
        q("1", "furlong")
    with pytest.raises(ClinicalInputError, match="decimal"):
        q("one", "g/L")
    with pytest.raises(ClinicalInputError, match="finite"):
        Quantity(Decimal("NaN"), "g/L")
    with pytest.raises(ClinicalInputError, match="finite"):
        Quantity(1.5, "g/L")  # type: ignore[arg-type]


def test_float_input_keeps_its_decimal_text() -> None:
    assert Quantity.of(1.8, "mg/dL").value == Decimal("1.8")
    assert str(Quantity.of(0.9, "10^9/L")) == "0.9 10*9/L"


DIMENSION_GROUPS = [
    (None, [code for code, unit in UNITS.items() if unit.dimension is dim])
    for dim in {unit.dimension for unit in UNITS.values()}
] + [
    ("creatinine", ["mg/dL", "umol/L", "g/L"]),
    ("bilirubin", ["mg/dL", "umol/L"]),
    ("haemoglobin", ["g/dL", "g/L", "mmol/L"]),
    ("dlco", ["mL/min/mm[Hg]", "mmol/min/kPa"]),
]
decimals = st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False)


@given(data=st.data(), value=decimals)
def test_round_trips_are_exact(data: st.DataObject, value: Decimal) -> None:
    analyte, codes = data.draw(st.sampled_from(DIMENSION_GROUPS))
    source, target = data.draw(st.sampled_from(codes)), data.draw(st.sampled_from(codes))
    there = Quantity(value, source)
    assert Quantity(value, source).exact(target, analyte) * conversion_factor(
        target, source, analyte
    ) == Fraction(value)
    back = there.to(target, analyte).to(source, analyte).value
    assert abs(back - value) <= abs(value) * Decimal("1e-20")
