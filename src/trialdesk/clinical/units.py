"""Laboratory quantities with UCUM unit codes, and explicit, exact, cited conversions.

A :class:`Quantity` is a decimal value and a UCUM code (Schadow & McDonald, *The
Unified Code for Units of Measure*, Regenstrief Institute, https://ucum.org). Units
of one dimension convert by exact rational scales; crossing dimensions (mass to
substance concentration, gas volume to gas substance) needs an analyte and one of the
cited factors of :data:`ANALYTE_FACTORS`. Arithmetic is done with
:class:`fractions.Fraction`, so ``1.5 x 1.2`` is exactly ``1.8`` and a threshold read
from a table compares exactly.

Anything else is an error that names both units: a platelet count is never compared
with a creatinine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
from enum import Enum
from fractions import Fraction
from types import MappingProxyType

from trialdesk.clinical.errors import ClinicalInputError, UnitError

__all__ = [
    "ALIASES",
    "ANALYTE_FACTORS",
    "UNITS",
    "AnalyteFactor",
    "Dimension",
    "Quantity",
    "Unit",
    "conversion_factor",
    "parse_unit",
]

_PRECISION = 28  # significant digits kept when a conversion does not terminate


class Dimension(Enum):
    """What a unit measures; units convert freely only within one dimension."""

    NUMBER_CONCENTRATION = "number concentration"
    MASS_CONCENTRATION = "mass concentration"
    SUBSTANCE_CONCENTRATION = "substance concentration"
    EQUIVALENT_CONCENTRATION = "equivalent concentration"
    CATALYTIC_CONCENTRATION = "catalytic concentration"
    VOLUME_FRACTION = "volume fraction"
    INR = "international normalized ratio"
    GAS_TRANSFER_VOLUME = "gas transfer (gas volume per time per pressure)"
    GAS_TRANSFER_SUBSTANCE = "gas transfer (gas substance per time per pressure)"
    TIME = "time"
    LENGTH = "length"
    MASS = "mass"
    VOLUME = "volume"
    VOLUME_FLOW = "volume flow"
    FILTRATION_PER_AREA = "volume flow per body surface area"
    MASS_PER_AREA = "mass per area"
    PRESSURE = "pressure"
    SCORE = "ordinal score"


@dataclass(frozen=True, slots=True)
class Unit:
    """A UCUM unit: its code, its dimension, and its size in the dimension's first unit."""

    code: str
    dimension: Dimension
    scale: Fraction


def _units(dimension: Dimension, scales: Mapping[str, Fraction]) -> dict[str, Unit]:
    return {code: Unit(code, dimension, scale) for code, scale in scales.items()}


_F = Fraction
#: Every unit trialdesk accepts, by UCUM code. Scales are exact by UCUM's definitions:
#: ``uL = mm3 = 10*-6 L``, so ``/uL = 10*6/L = 10*-3 x 10*9/L`` and ``10*3/uL = 10*9/L``;
#: ``dL = 10*-1 L``; ``[IU]`` of an enzyme is the ``U`` (umol/min) of IFCC practice;
#: ``ukat = umol/s = 60 U``; ``% = 10*-2``. Times are UCUM's: ``a`` is the Julian year
#: (365.25 d) and ``mo`` the mean Julian month (30.4375 d); ``mm[Hg] = 133.322 Pa``.
#: ``{score}`` is an ordinal scale (ECOG, NYHA class): it converts to nothing else.
UNITS: Mapping[str, Unit] = MappingProxyType(
    _units(
        Dimension.NUMBER_CONCENTRATION,
        {
            "10*9/L": _F(1),
            "10*3/uL": _F(1),
            "10*3/mm3": _F(1),
            "/uL": _F(1, 1000),
            "/mm3": _F(1, 1000),
            "/L": _F(1, 10**9),
            "10*6/L": _F(1, 1000),
            "10*12/L": _F(1000),
            "10*6/uL": _F(1000),
        },
    )
    | _units(
        Dimension.MASS_CONCENTRATION,
        {"g/L": _F(1), "g/dL": _F(10), "mg/dL": _F(1, 100), "mg/L": _F(1, 1000)},
    )
    | _units(
        Dimension.SUBSTANCE_CONCENTRATION,
        {"mmol/L": _F(1), "umol/L": _F(1, 1000), "mol/L": _F(1000)},
    )
    | _units(Dimension.EQUIVALENT_CONCENTRATION, {"meq/L": _F(1)})
    | _units(
        Dimension.CATALYTIC_CONCENTRATION,
        {"U/L": _F(1), "[IU]/L": _F(1), "ukat/L": _F(60)},
    )
    | _units(Dimension.VOLUME_FRACTION, {"L/L": _F(1), "%": _F(1, 100)})
    | _units(Dimension.INR, {"{INR}": _F(1)})
    | _units(Dimension.GAS_TRANSFER_VOLUME, {"mL/min/mm[Hg]": _F(1)})
    | _units(Dimension.GAS_TRANSFER_SUBSTANCE, {"mmol/min/kPa": _F(1)})
    | _units(
        Dimension.TIME,
        {
            "a": _F("365.25"),
            "mo": _F("30.4375"),
            "wk": _F(7),
            "d": _F(1),
            "h": _F(1, 24),
            "min": _F(1, 1440),
            "s": _F(1, 86400),
            "ms": _F(1, 86_400_000),
        },
    )
    | _units(Dimension.LENGTH, {"m": _F(1), "cm": _F(1, 100), "km": _F(1000)})
    | _units(Dimension.MASS, {"kg": _F(1), "g": _F(1, 1000)})
    | _units(Dimension.VOLUME, {"L": _F(1), "mL": _F(1, 1000)})
    | _units(Dimension.VOLUME_FLOW, {"mL/min": _F(1), "L/min": _F(1000)})
    | _units(Dimension.FILTRATION_PER_AREA, {"mL/min/{1.73_m2}": _F(1)})
    | _units(Dimension.MASS_PER_AREA, {"kg/m2": _F(1)})
    | _units(Dimension.PRESSURE, {"mm[Hg]": _F(1), "kPa": _F(1000) / _F("133.322")})
    | _units(Dimension.SCORE, {"{score}": _F(1)})
)

#: Spellings people type, mapped to their UCUM code.
ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "10^9/L": "10*9/L",
        "10^3/uL": "10*3/uL",
        "10^3/µL": "10*3/uL",
        "10^3/mm3": "10*3/mm3",
        "10^6/L": "10*6/L",
        "10^12/L": "10*12/L",
        "10^6/uL": "10*6/uL",
        "/µL": "/uL",
        "µmol/L": "umol/L",
        "mEq/L": "meq/L",
        "IU/L": "[IU]/L",
        "mL/min/mmHg": "mL/min/mm[Hg]",
        "mmHg": "mm[Hg]",
        "INR": "{INR}",
        "1": "{INR}",  # UCUM's unity; the only dimensionless analyte graded here is the INR
    }
)


@dataclass(frozen=True, slots=True)
class AnalyteFactor:
    """``1 from_unit`` of ``analyte`` is ``factor to_unit``; ``source`` says why."""

    analyte: str
    from_unit: str
    to_unit: str
    factor: Fraction
    source: str


#: Analyte-specific factors across dimensions (typed rows, cited). Reverse conversions
#: divide by the same factor, so a round trip is exact.
ANALYTE_FACTORS: tuple[AnalyteFactor, ...] = (
    AnalyteFactor(
        "creatinine",
        "mg/dL",
        "umol/L",
        Fraction("88.42"),
        "molar mass 113.12 g/mol; SI conversion table, AMA Manual of Style (11th ed.) "
        "and Young DS, Ann Intern Med 1987;106:114-129",
    ),
    AnalyteFactor(
        "bilirubin",
        "mg/dL",
        "umol/L",
        Fraction("17.1"),
        "molar mass 584.66 g/mol; Young DS, Ann Intern Med 1987;106:114-129",
    ),
    AnalyteFactor(
        "haemoglobin",
        "g/dL",
        "mmol/L",
        Fraction("0.6206"),
        "Hb monomer (one haem) 16 114.5 g/mol; ICSH; the CTCAE v5.0 Anemia bands use "
        "10.0 g/dL ~ 6.2 mmol/L",
    ),
    AnalyteFactor("potassium", "meq/L", "mmol/L", Fraction(1), "monovalent ion: 1 meq = 1 mmol"),
    AnalyteFactor("sodium", "meq/L", "mmol/L", Fraction(1), "monovalent ion: 1 meq = 1 mmol"),
    AnalyteFactor(
        "dlco",
        "mL/min/mm[Hg]",
        "mmol/min/kPa",
        Fraction(1) / Fraction("2.987"),
        "ERS/ATS 2017 single-breath DLCO standard (Graham BL et al., Eur Respir J "
        "2017;49:1600016) and GLI-2017 TLCO (Stanojevic S et al., Eur Respir J "
        "2017;50:1700010): mmol/min/kPa = mL/min/mmHg / 2.987. Physically 22.4 mL "
        "STPD per mmol x 0.13332 kPa per mmHg (= 2.986); so the GLI-2017 equations in "
        "the two unit systems differ only in their intercepts, by ln(2.987) (checked "
        "against the GLI-2017 coefficient tables: tests/unit/clinical/test_dlco_unit_factor.py)",
    ),
)


def parse_unit(code: str) -> Unit:
    """The :class:`Unit` of a UCUM code or an alias (``10^9/L`` is ``10*9/L``)."""
    canonical = ALIASES.get(code.strip(), code.strip())
    unit = UNITS.get(canonical)
    if unit is None:
        raise UnitError("unit", code, "a UCUM code, one of: " + ", ".join(UNITS))
    return unit


def conversion_factor(from_unit: str, to_unit: str, analyte: str | None = None) -> Fraction:
    """The exact factor ``f`` such that ``x from_unit`` is ``x * f to_unit``.

    Within a dimension it is the ratio of the UCUM scales; across dimensions it
    goes through the row of :data:`ANALYTE_FACTORS` for ``analyte``.

    Raises:
        UnitError: a unit is unknown, or the dimensions differ and no factor for
            ``analyte`` joins them (the message names both units).
    """
    source, target = parse_unit(from_unit), parse_unit(to_unit)
    if source.dimension is target.dimension:
        return source.scale / target.scale
    for row in ANALYTE_FACTORS:
        if row.analyte != analyte:
            continue
        start, end = parse_unit(row.from_unit), parse_unit(row.to_unit)
        if (start.dimension, end.dimension) == (source.dimension, target.dimension):
            return source.scale / start.scale * row.factor * end.scale / target.scale
        if (end.dimension, start.dimension) == (source.dimension, target.dimension):
            return source.scale / end.scale / row.factor * start.scale / target.scale
    what = "" if analyte is None else f" for {analyte}"
    raise UnitError(
        "unit",
        source.code,
        f"a unit convertible to {target.code} ({target.dimension.value}){what}; "
        f"{source.code} is a {source.dimension.value}",
    )


def _to_decimal(value: Fraction) -> Decimal:
    with localcontext() as context:
        context.prec = _PRECISION
        return Decimal(value.numerator) / Decimal(value.denominator)


@dataclass(frozen=True, slots=True)
class Quantity:
    """A value and its UCUM unit; immutable. ``unit`` is stored as its UCUM code.

    Equality is structural (``1 g/dL`` is not ``==`` to ``10 g/L``); order
    comparisons convert exactly and refuse units of different dimensions.
    """

    value: Decimal
    unit: str

    def __post_init__(self) -> None:
        value: object = self.value  # a caller may pass a float despite the annotation
        if not isinstance(value, Decimal) or not value.is_finite():
            raise ClinicalInputError("value", self.value, "a finite decimal.Decimal")
        object.__setattr__(self, "unit", parse_unit(self.unit).code)

    @classmethod
    def of(cls, value: Decimal | int | str | float, unit: str) -> Quantity:
        """Build from a number as written: a float goes through its shortest ``repr``."""
        try:
            decimal = Decimal(str(value)) if isinstance(value, float | int) else Decimal(value)
        except ArithmeticError:
            raise ClinicalInputError("value", value, "a decimal number") from None
        return cls(decimal, unit)

    def exact(self, unit: str, analyte: str | None = None) -> Fraction:
        """The value in ``unit`` as an exact fraction."""
        return Fraction(self.value) * conversion_factor(self.unit, unit, analyte)

    def to(self, unit: str, analyte: str | None = None) -> Quantity:
        """This quantity in ``unit`` (exact when it terminates, else 28 significant digits)."""
        return Quantity(_to_decimal(self.exact(unit, analyte)), unit)

    def _cmp(self, other: Quantity) -> int:
        mine, theirs = Fraction(self.value), other.exact(self.unit)
        return (mine > theirs) - (mine < theirs)

    def __lt__(self, other: Quantity) -> bool:
        return self._cmp(other) < 0

    def __le__(self, other: Quantity) -> bool:
        return self._cmp(other) <= 0

    def __gt__(self, other: Quantity) -> bool:
        return self._cmp(other) > 0

    def __ge__(self, other: Quantity) -> bool:
        return self._cmp(other) >= 0

    def __str__(self) -> str:
        return f"{self.value} {self.unit}"
