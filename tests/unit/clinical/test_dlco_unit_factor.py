"""The DLCO unit factor 2.987 is the one the GLI-2017 equations use.

The traditional-unit (mL/min/mmHg) and SI (mmol/min/kPa) GLI-2017 tables share every
coefficient but the intercept a0, and their intercepts differ by ln(2.987) for TLCO/DLCO
and for KCO, both sexes (Stanojevic 2017, Eur Respir J 50:1700010, the authors' look-up
tables shipped in ``clinical/data/gli/gli_2017_coefficients.csv``).
"""

from __future__ import annotations

import csv
import math
from importlib.resources import files

import pytest

from trialdesk.clinical.units import conversion_factor


def _coefficients() -> dict[str, dict[str, float]]:
    text = files("trialdesk.clinical").joinpath("data/gli/gli_2017_coefficients.csv").read_text()
    rows = list(csv.DictReader(text.splitlines(), delimiter=";"))
    return {row["var"]: {k: float(v) for k, v in row.items() if k != "var"} for row in rows}


@pytest.mark.parametrize(
    ("traditional", "si"),
    [
        ("DLCO_males", "TLCO_males"),
        ("DLCO_females", "TLCO_females"),
        ("KCO_trad_males", "KCO_SI_males"),
        ("KCO_trad_females", "KCO_SI_females"),
    ],
)
def test_gli_2017_intercepts_differ_by_ln_2_987(traditional: str, si: str) -> None:
    table = _coefficients()
    assert table["a0"][traditional] - table["a0"][si] == pytest.approx(math.log(2.987), abs=5e-6)
    for name, row in table.items():
        if name != "a0":
            assert row[traditional] == row[si], name
    assert float(conversion_factor("mmol/min/kPa", "mL/min/mm[Hg]", "dlco")) == pytest.approx(2.987)
