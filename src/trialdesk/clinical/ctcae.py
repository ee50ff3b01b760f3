"""CTCAE laboratory grading: a value, its unit and its references in; a :class:`Grade` out.

The grade tables are typed data (:mod:`trialdesk.clinical.ctcae_v5_terms`, cited per
term), keyed by version in :data:`CTCAE_VERSIONS` so that a later CTCAE sits beside
v5.0. Every comparison is exact: the value and its references become
:class:`~fractions.Fraction` through their decimal text, so 1.8 against
"1.5 x ULN" with ULN 1.2 is on the edge, not a float away from it.

How a grade is chosen: the bands that apply to the subject (baseline normal or
abnormal, anticoagulation) are matched three-valued (met, not met, unknown when a
reference such as the LLN is missing); the grade is the highest band met, or 0.
When a band that could give a higher grade is unknown, the grade is ``None`` and
the reason names the missing input. Bands that need clinical facts (symptoms) are
met only when told so; otherwise the result's ``rule`` says it was graded lab-only.
Grade 5 (death) is never a laboratory grade.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from types import MappingProxyType

from trialdesk.clinical.ctcae_model import (
    Band,
    Bound,
    Comparison,
    Context,
    Reference,
    Requirement,
    Scale,
    Term,
    TermTable,
)
from trialdesk.clinical.ctcae_v5_terms import CTCAE_V5
from trialdesk.clinical.errors import ClinicalInputError
from trialdesk.clinical.units import Quantity, parse_unit

__all__ = [
    "CTCAE_VERSIONS",
    "DEFAULT_VERSION",
    "LAB_ONLY",
    "NO_TERM",
    "ClinicalFacts",
    "Grade",
    "LabResult",
    "ctcae_terms",
    "find_term",
    "grade_analyte",
    "grade_ctcae",
]

#: Every CTCAE version trialdesk grades, by version string.
CTCAE_VERSIONS: Mapping[str, TermTable] = MappingProxyType({CTCAE_V5.version: CTCAE_V5})
DEFAULT_VERSION = "5.0"
#: The ``term`` of a result for an analyte that CTCAE does not grade (CRP, haematocrit).
NO_TERM = "no term"


@dataclass(frozen=True, slots=True)
class Grade:
    """A CTCAE grade that explains itself.

    ``value`` is 0-4, or ``None`` exactly when ``reason`` says why (a missing
    input, or no CTCAE term for the analyte); ``rule`` is the band text applied
    with any caveat (graded lab-only, baseline not given); ``inputs`` the values used.
    """

    value: int | None
    term: str
    version: str
    rule: str
    inputs: dict[str, str]
    reason: str | None = None

    def __post_init__(self) -> None:
        if (self.value is None) != (self.reason is not None):
            msg = f"a grade is None exactly when it gives a reason: {self!r}"
            raise ValueError(msg)
        if self.value is not None and not 0 <= self.value <= 4:
            msg = f"a laboratory grade is 0 to 4, got {self.value}"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class LabResult:
    """A laboratory value with the references its grade may need, each with its unit."""

    value: Quantity
    lln: Quantity | None = None
    uln: Quantity | None = None
    baseline: Quantity | None = None

    def describe(self) -> dict[str, str]:
        """The quantities given, as ``"<value> <unit>"`` text."""
        given = {"value": self.value, "lln": self.lln, "uln": self.uln, "baseline": self.baseline}
        return {name: str(quantity) for name, quantity in given.items() if quantity is not None}


@dataclass(frozen=True, slots=True)
class ClinicalFacts:
    """Clinical facts some bands need; ``False`` means not known to be so (lab-only)."""

    symptomatic: bool = False
    anticoagulated: bool = False

    def describe(self) -> dict[str, str]:
        """The facts as ``"true"``/``"false"`` text."""
        return {
            "symptomatic": str(self.symptomatic).lower(),
            "anticoagulated": str(self.anticoagulated).lower(),
        }


#: No clinical facts given: every band that needs one is graded lab-only.
LAB_ONLY = ClinicalFacts()


class _Match(Enum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


def _all(matches: list[_Match]) -> _Match:
    if _Match.NO in matches:
        return _Match.NO
    return _Match.UNKNOWN if _Match.UNKNOWN in matches else _Match.YES


@dataclass(frozen=True, slots=True)
class _Facts:
    """The value and references in the scale's unit, and the clinical facts given."""

    x: Fraction
    refs: Mapping[Reference, Fraction | None]
    symptomatic: bool
    anticoagulated: bool

    def holds(self, bound: Bound) -> _Match:
        reference = self.refs[bound.reference]
        if reference is None:
            return _Match.UNKNOWN
        limit = Fraction(bound.multiple) * reference
        holds = {
            Comparison.GT: self.x > limit,
            Comparison.GE: self.x >= limit,
            Comparison.LT: self.x < limit,
            Comparison.LE: self.x <= limit,
        }[bound.comparison]
        return _Match.YES if holds else _Match.NO

    def applies(self, context: Context) -> _Match:
        baseline, uln = self.refs[Reference.BASELINE], self.refs[Reference.ULN]
        if context in {Context.BASELINE_NORMAL, Context.BASELINE_ABNORMAL}:
            if baseline is None:
                abnormal: bool | None = False
            else:
                abnormal = None if uln is None else baseline > uln
            if abnormal is None:
                return _Match.UNKNOWN
            return _Match.YES if abnormal == (context is Context.BASELINE_ABNORMAL) else _Match.NO
        applies = {
            Context.ALWAYS: True,
            Context.WITH_BASELINE: baseline is not None,
            Context.ANTICOAGULATED: self.anticoagulated,
            Context.NOT_ANTICOAGULATED: not self.anticoagulated,
        }[context]
        return _Match.YES if applies else _Match.NO

    def match(self, band: Band) -> _Match:
        return _all([self.applies(band.context), *(self.holds(b) for b in band.bounds)])

    def told(self, band: Band) -> bool:
        return band.requires is Requirement.NONE or self.symptomatic


def _table(version: str) -> TermTable:
    table = CTCAE_VERSIONS.get(version)
    if table is None:
        raise ClinicalInputError("version", version, "one of: " + ", ".join(CTCAE_VERSIONS))
    return table


def ctcae_terms(version: str = DEFAULT_VERSION) -> tuple[str, ...]:
    """The laboratory terms graded in ``version``, in table order."""
    return tuple(_table(version).terms)


def find_term(name: str, version: str = DEFAULT_VERSION) -> Term:
    """The term called ``name`` (any case; British spellings such as "Anaemia" too).

    Raises:
        ClinicalInputError: ``name`` is no laboratory term of ``version``.
    """
    table = _table(version)
    key = name.strip().casefold()
    by_key = {term.casefold(): term for term in table.terms} | dict(table.aliases)
    if key not in by_key:
        expected = f"a CTCAE v{version} laboratory term, one of: " + "; ".join(table.terms)
        raise ClinicalInputError("term", name, expected)
    return table.terms[by_key[key]]


def _scale_for(term: Term, unit: str) -> Scale:
    """The scale stated in the value's dimension (Hb in mmol/L), else the first one."""
    dimension = parse_unit(unit).dimension
    for scale in term.scales:
        if parse_unit(scale.unit).dimension is dimension:
            return scale
    return term.scales[0]


def _reference(
    name: str, quantity: Quantity | None, scale: Scale, analyte: str, *, zero_ok: bool
) -> Fraction | None:
    if quantity is None:
        return None
    value = quantity.exact(scale.unit, analyte)
    if value < 0 or (value == 0 and not zero_ok):
        expected = "a value >= 0" if zero_ok else "a value > 0"
        raise ClinicalInputError(name, str(quantity), expected)
    return value


def _missing(facts: _Facts, band: Band) -> str:
    missing = [ref.value for ref, value in facts.refs.items() if value is None]
    needed = {b.reference.value for b in band.bounds} | (
        {Reference.ULN.value}
        if band.context in {Context.BASELINE_NORMAL, Context.BASELINE_ABNORMAL}
        else set()
    )
    names = " and ".join(name for name in missing if name in needed)
    return f"{names} needed: the value may meet grade {band.grade} ({band.text})"


def _notes(term: Term, scale: Scale, facts: _Facts, grade: int) -> list[str]:
    notes = [
        f"graded lab-only: grade {band.grade} needs '{band.text}' (symptomatic not given)"
        for band in scale.bands
        if not facts.told(band) and band.grade > grade and facts.match(band) is _Match.YES
    ]
    contexts = {band.context for band in scale.bands}
    if facts.refs[Reference.BASELINE] is None and Context.BASELINE_NORMAL in contexts:
        notes.append("baseline not given: graded as if baseline was normal")
    if facts.refs[Reference.BASELINE] is None and Context.WITH_BASELINE in contexts:
        notes.append("baseline not given: the x baseline criteria were not applied")
    if term.note and grade > 0:
        notes.append(term.note)
    return notes


def _decide(term: Term, scale: Scale, facts: _Facts) -> tuple[int | None, str, str | None]:
    """The grade, the rule text and, when the grade is unknown, the reason."""
    matches = [(band, facts.match(band)) for band in scale.bands if facts.told(band)]
    met = [band for band, match in matches if match is _Match.YES]
    best = max(met, key=lambda band: band.grade, default=None)
    grade = 0 if best is None else best.grade
    unknown = [b for b, m in matches if m is _Match.UNKNOWN and b.grade > grade]
    if unknown:
        reason = _missing(facts, max(unknown, key=lambda band: band.grade))
        return None, "not graded: an input the bands need is missing", reason
    text = "Grade 0: no band met" if best is None else f"Grade {grade}: {best.text}"
    return grade, "; ".join([text, *_notes(term, scale, facts, grade)]), None


def _no_term(name: str, version: str, inputs: dict[str, str]) -> Grade:
    reason = f"CTCAE v{version} has no laboratory term for {name}"
    return Grade(None, NO_TERM, version, f"no CTCAE v{version} term", inputs, reason)


def grade_ctcae(
    term: str,
    lab: LabResult,
    facts: ClinicalFacts = LAB_ONLY,
    *,
    version: str = DEFAULT_VERSION,
) -> Grade:
    """Grade ``lab`` for the CTCAE ``term``; its references may be in any unit of the analyte.

    ``facts`` are the clinical facts some bands need (hypokalaemia grade 2,
    hyponatraemia 125-129 mmol/L grade 3; INR x baseline on anticoagulation). An
    analyte without a term (CRP, haematocrit) gives ``value=None`` and term
    :data:`NO_TERM`, never grade 0.

    Raises:
        ClinicalInputError: unknown term or version, a negative value, a reference <= 0.
        UnitError: a unit that is not of the term's analyte (names both units).
    """
    inputs = lab.describe() | facts.describe()
    table = _table(version)
    no_term = table.analytes_without_term.get(term.strip().casefold())
    if no_term is not None:
        return _no_term(no_term, version, inputs)
    found = find_term(term, version)
    scale = _scale_for(found, lab.value.unit)
    x = lab.value.exact(scale.unit, found.analyte)
    if x < 0:
        raise ClinicalInputError("value", str(lab.value), "a value >= 0")
    refs = {
        Reference.ABSOLUTE: Fraction(1),
        Reference.LLN: _reference("lln", lab.lln, scale, found.analyte, zero_ok=False),
        Reference.ULN: _reference("uln", lab.uln, scale, found.analyte, zero_ok=False),
        Reference.BASELINE: _reference(
            "baseline", lab.baseline, scale, found.analyte, zero_ok=True
        ),
    }
    facts_in_scale = _Facts(x, refs, facts.symptomatic, facts.anticoagulated)
    grade, rule, reason = _decide(found, scale, facts_in_scale)
    return Grade(grade, found.name, version, rule, inputs, reason)


def grade_analyte(
    analyte: str,
    lab: LabResult,
    facts: ClinicalFacts = LAB_ONLY,
    *,
    version: str = DEFAULT_VERSION,
) -> tuple[Grade, ...]:
    """Every term of ``analyte`` (lymphocytes: decreased and increased), or one "no term".

    Raises:
        ClinicalInputError: ``analyte`` is neither graded nor a known analyte without a term.
    """
    table = _table(version)
    key = analyte.strip().casefold()
    names = [term.name for term in table.terms.values() if term.analyte == key]
    if not names and key not in table.analytes_without_term:
        known = sorted({t.analyte for t in table.terms.values()} | set(table.analytes_without_term))
        raise ClinicalInputError("analyte", analyte, "one of: " + ", ".join(known))
    return tuple(grade_ctcae(name, lab, facts, version=version) for name in names or [key])
