"""Plausible ranges of thresholds, to warn about a unit that was probably mistyped.

"Hemoglobin > 90 g/dL" means 90 g/L or 9 g/dL, but which is not ours to decide: the
parser keeps the threshold as written and warns. The ranges are wide on purpose
(a threshold, not a patient value, must fall inside) and are stated in the
measure's canonical unit.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from trialdesk.clinical.errors import UnitError
from trialdesk.clinical.units import conversion_factor
from trialdesk.eligibility.lexicon import MEASURES

__all__ = ["PLAUSIBLE", "plausibility_warning"]

#: Plausible thresholds in the canonical unit: (low, high), inclusive.
PLAUSIBLE: dict[str, tuple[Fraction, Fraction]] = {
    "age": (Fraction(0), Fraction(120)),
    "haematocrit": (Fraction(5), Fraction(75)),
    "haemoglobin": (Fraction(3), Fraction(25)),
    "lymphocytes": (Fraction(1, 100), Fraction(100)),
    "neutrophils": (Fraction(1, 100), Fraction(100)),
    "platelets": (Fraction(1), Fraction(2000)),
    "wbc": (Fraction(1, 10), Fraction(500)),
    "creatinine": (Fraction(1, 10), Fraction(20)),
    "bilirubin": (Fraction(1, 10), Fraction(50)),
    "albumin": (Fraction(1), Fraction(7)),
    "inr": (Fraction(1, 2), Fraction(10)),
    "ecog": (Fraction(0), Fraction(5)),
    "karnofsky": (Fraction(0), Fraction(100)),
    "nyha": (Fraction(1), Fraction(4)),
    "lvef": (Fraction(5), Fraction(90)),
    "spo2": (Fraction(50), Fraction(100)),
    "creatinine_clearance": (Fraction(5), Fraction(200)),
    "egfr": (Fraction(5), Fraction(200)),
}


def plausibility_warning(
    measure: str | None, value: Decimal | None, unit: str | None
) -> str | None:
    """Why a threshold looks mistyped (outside the plausible range, wrong dimension), or None."""
    if measure is None or value is None or unit is None or unit.startswith("x "):
        return None
    known = MEASURES.get(measure)
    if known is None:
        return None
    try:
        factor = conversion_factor(unit, known.unit, known.analyte)
    except UnitError:
        return f"unit {unit} does not measure {known.label} (canonical unit {known.unit})"
    bounds = PLAUSIBLE.get(measure)
    if bounds is None:
        return None
    canonical = Fraction(value) * factor
    low, high = bounds
    if low <= canonical <= high:
        return None
    return (
        f"implausible {known.label} threshold {value} {unit} "
        f"(plausible {float(low):g}-{float(high):g} {known.unit})"
    )
