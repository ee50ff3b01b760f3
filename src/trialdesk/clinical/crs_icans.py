"""ASTCT consensus grading of cytokine release syndrome (CRS) and neurotoxicity (ICANS).

Source: Lee DW, Santomasso BD, Locke FL, et al. ASTCT Consensus Grading for Cytokine
Release Syndrome and Neurologic Toxicity Associated with Immune Effector Cells.
Biol Blood Marrow Transplant 2019;25:625-638, tables "ASTCT CRS Consensus Grading" and
"ASTCT ICANS Consensus Grading for Adults".

CRS: fever (temperature >= 38.0 °C) is required; the grade is the worse of the
hypotension and hypoxia grades, fever alone being grade 1. Once a patient has had
antipyretic or anti-cytokine therapy (tocilizumab, steroids) fever is no longer required
and the grade is driven by hypotension and hypoxia (consensus text). A patient with no
fever after such therapy and neither hypotension nor hypoxia gets grade 0 here (no sign
that defines a grade).

Chronic home oxygen (end-stage IPF, trialdesk's choice; the consensus does not address
it): with ``baseline_home_oxygen`` given, oxygen counts as hypoxia only when the need
exceeds the baseline, i.e. a higher support category (low-flow < high-flow < positive
pressure), or the same category at a higher flow; the grade is then that of the current
support. When the category is the same and a flow needed for the comparison is missing,
the hypoxia domain is unknown.

ICANS: the grade is the most severe of the ICE score, depressed level of consciousness,
seizure, motor findings and raised intracranial pressure / cerebral oedema domains
(footnote: an ICE score of 0 is grade 3 if awake, grade 4 if unarousable). ICE 10 with
every other domain normal is no ICANS (grade 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from trialdesk.clinical.results import (
    Assessment,
    AssessmentInputError,
    AssessmentStatus,
    DecimalInput,
    InputValue,
    exact,
    worst_grade,
)

__all__ = [
    "CRS_ALGORITHM",
    "ICANS_ALGORITHM",
    "VERSION",
    "Consciousness",
    "Hypotension",
    "MotorFinding",
    "Oxygen",
    "OxygenDevice",
    "OxygenNeed",
    "OxygenSupport",
    "RaisedIcp",
    "Seizure",
    "classify_oxygen",
    "grade_crs",
    "grade_icans",
]

CRS_ALGORITHM = "ASTCT CRS consensus grading"
ICANS_ALGORITHM = "ASTCT ICANS consensus grading for adults"
VERSION = "Lee et al. 2019, Biol Blood Marrow Transplant 25:625-638"
MAX_GRADE = 4
FEVER_C = Fraction(38)
LOW_FLOW_MAX_L_MIN = Fraction(6)


class Hypotension(StrEnum):
    """The hypotension row of the CRS table (not attributable to any other cause)."""

    NONE = "none"
    FLUIDS = "fluids"  # hypotension not requiring vasopressors: grade 2
    ONE_VASOPRESSOR = "one-vasopressor"  # with or without vasopressin: grade 3
    MULTIPLE_VASOPRESSORS = "multiple-vasopressors"  # excluding vasopressin: grade 4


class OxygenSupport(StrEnum):
    """The hypoxia row of the CRS table, as the oxygen support required."""

    NONE = "none"
    LOW_FLOW = "low-flow"  # nasal cannula <= 6 L/min, or blow-by: grade 2
    HIGH_FLOW = "high-flow"  # nasal cannula > 6 L/min, facemask, non-rebreather, Venturi: 3
    POSITIVE_PRESSURE = "positive-pressure"  # CPAP, BiPAP, intubation: grade 4


class OxygenDevice(StrEnum):
    """How oxygen is delivered; :func:`classify_oxygen` maps it to an :class:`OxygenSupport`."""

    NASAL_CANNULA = "nasal-cannula"
    BLOW_BY = "blow-by"
    FACEMASK = "facemask"
    NON_REBREATHER = "non-rebreather"
    VENTURI = "venturi"
    CPAP = "cpap"
    BIPAP = "bipap"
    MECHANICAL_VENTILATION = "mechanical-ventilation"


class Consciousness(StrEnum):
    """Depressed level of consciousness, not attributable to another cause (e.g. sedation)."""

    NORMAL = "normal"  # alert: no depressed consciousness
    SPONTANEOUS = "spontaneous"  # awakens spontaneously: grade 1
    VOICE = "voice"  # awakens to voice: grade 2
    TACTILE = "tactile"  # awakens only to tactile stimulus: grade 3
    UNAROUSABLE = "unarousable"  # or vigorous/repetitive tactile stimuli; stupor, coma: 4


class Seizure(StrEnum):
    """The seizure row of the ICANS table."""

    NONE = "none"
    RAPID_RESOLVING = "rapid-resolving"  # resolves rapidly, or EEG-only with intervention: 3
    PROLONGED = "prolonged"  # > 5 min, or repetitive without return to baseline: 4


class MotorFinding(StrEnum):
    """The motor row of the ICANS table (tremor and myoclonus do not count)."""

    NONE = "none"
    DEEP_FOCAL_WEAKNESS = "deep-focal-weakness"  # hemiparesis, paraparesis: grade 4


class RaisedIcp(StrEnum):
    """Elevated intracranial pressure / cerebral oedema (haemorrhage excluded)."""

    NONE = "none"
    FOCAL_EDEMA = "focal-edema"  # focal/local oedema on neuroimaging: grade 3
    DIFFUSE_EDEMA = "diffuse-edema"  # or posturing, CN VI palsy, papilloedema, Cushing: 4


HYPOTENSION_GRADE = {
    Hypotension.NONE: 0,
    Hypotension.FLUIDS: 2,
    Hypotension.ONE_VASOPRESSOR: 3,
    Hypotension.MULTIPLE_VASOPRESSORS: 4,
}
OXYGEN_GRADE = {
    OxygenSupport.NONE: 0,
    OxygenSupport.LOW_FLOW: 2,
    OxygenSupport.HIGH_FLOW: 3,
    OxygenSupport.POSITIVE_PRESSURE: 4,
}
CONSCIOUSNESS_GRADE = {
    Consciousness.NORMAL: 0,
    Consciousness.SPONTANEOUS: 1,
    Consciousness.VOICE: 2,
    Consciousness.TACTILE: 3,
    Consciousness.UNAROUSABLE: 4,
}
SEIZURE_GRADE = {Seizure.NONE: 0, Seizure.RAPID_RESOLVING: 3, Seizure.PROLONGED: 4}
MOTOR_GRADE = {MotorFinding.NONE: 0, MotorFinding.DEEP_FOCAL_WEAKNESS: 4}
ICP_GRADE = {RaisedIcp.NONE: 0, RaisedIcp.FOCAL_EDEMA: 3, RaisedIcp.DIFFUSE_EDEMA: 4}
_FIXED_SUPPORT = {
    OxygenDevice.BLOW_BY: OxygenSupport.LOW_FLOW,
    OxygenDevice.FACEMASK: OxygenSupport.HIGH_FLOW,
    OxygenDevice.NON_REBREATHER: OxygenSupport.HIGH_FLOW,
    OxygenDevice.VENTURI: OxygenSupport.HIGH_FLOW,
    OxygenDevice.CPAP: OxygenSupport.POSITIVE_PRESSURE,
    OxygenDevice.BIPAP: OxygenSupport.POSITIVE_PRESSURE,
    OxygenDevice.MECHANICAL_VENTILATION: OxygenSupport.POSITIVE_PRESSURE,
}


def classify_oxygen(device: OxygenDevice, flow_l_min: DecimalInput | None) -> OxygenSupport:
    """The CRS hypoxia category of a device and flow (consensus footnotes).

    Low-flow nasal cannula is <= 6 L/min, high-flow nasal cannula > 6 L/min; a nasal
    cannula without a flow cannot be classified and is refused.
    """
    if device in _FIXED_SUPPORT:
        return _FIXED_SUPPORT[device]
    if flow_l_min is None:
        raise AssessmentInputError("flow_l_min", None, "a flow in L/min for a nasal cannula")
    flow = exact("flow_l_min", flow_l_min)
    if flow <= 0:
        raise AssessmentInputError("flow_l_min", flow_l_min, "a flow above 0 L/min")
    return OxygenSupport.LOW_FLOW if flow <= LOW_FLOW_MAX_L_MIN else OxygenSupport.HIGH_FLOW


@dataclass(frozen=True, slots=True)
class OxygenNeed:
    """Oxygen as delivered: the device and, where it matters, the flow in L/min."""

    device: OxygenDevice
    flow_l_min: DecimalInput | None = None

    @property
    def support(self) -> OxygenSupport:
        """The CRS hypoxia category."""
        return classify_oxygen(self.device, self.flow_l_min)


Oxygen = OxygenSupport | OxygenNeed


def _support(oxygen: Oxygen) -> OxygenSupport:
    return oxygen if isinstance(oxygen, OxygenSupport) else oxygen.support


def _flow(oxygen: Oxygen) -> Fraction | None:
    if isinstance(oxygen, OxygenNeed) and oxygen.flow_l_min is not None:
        return exact("flow_l_min", oxygen.flow_l_min)
    return None


def _hypoxia_grade(oxygen: Oxygen | None, baseline: Oxygen | None) -> int | None:
    """The hypoxia grade, counting only need above ``baseline`` home oxygen when given."""
    if oxygen is None:
        return None
    grade = OXYGEN_GRADE[_support(oxygen)]
    if baseline is None:
        return grade
    base_grade = OXYGEN_GRADE[_support(baseline)]
    if grade != base_grade:
        return grade if grade > base_grade else 0
    flow, base_flow = _flow(oxygen), _flow(baseline)
    if flow is not None and base_flow is not None:
        return grade if flow > base_flow else 0
    same_device = (
        isinstance(oxygen, OxygenNeed)
        and isinstance(baseline, OxygenNeed)
        and oxygen.device is baseline.device
        and flow is None
        and base_flow is None
    )
    return 0 if grade == 0 or same_device else None


def _fever(temperature_c: DecimalInput | None) -> bool | None:
    if temperature_c is None:
        return None
    temperature = exact("temperature_c", temperature_c)
    if not 25 <= temperature <= 45:
        raise AssessmentInputError("temperature_c", temperature_c, "a body temperature 25-45 °C")
    return temperature >= FEVER_C


def _crs(
    value: int | None, rule: str, reason: str, inputs: tuple[tuple[str, InputValue], ...]
) -> Assessment[int]:
    status = AssessmentStatus.UNKNOWN if value is None else AssessmentStatus.KNOWN
    return Assessment(
        value, status, CRS_ALGORITHM, VERSION, f"astct2019.crs.{rule}", reason, inputs
    )


def grade_crs(
    temperature_c: DecimalInput | None,
    hypotension: Hypotension | None,
    oxygen: Oxygen | None,
    *,
    antipyretic_or_anticytokine: bool = False,
    baseline_home_oxygen: Oxygen | None = None,
) -> Assessment[int]:
    """The ASTCT CRS grade (0-4) from temperature, hypotension and oxygen need.

    ``oxygen`` is the support category or the device and flow; ``baseline_home_oxygen``
    the subject's chronic home oxygen (see the module notes). Rule ids:
    ``astct2019.crs.no_fever``, ``.fever.g1``, ``.hypotension.gN``, ``.hypoxia.gN``,
    ``.fever_waived.no_signs``, ``.unknown``.
    """
    inputs = _crs_inputs(
        temperature_c,
        hypotension,
        oxygen,
        baseline_home_oxygen,
        waived=antipyretic_or_anticytokine,
    )
    fever = _fever(temperature_c)
    if not antipyretic_or_anticytokine and fever is not True:
        if fever is None:
            return _crs(None, "unknown", "temperature missing: fever is required for CRS", inputs)
        return _crs(
            0,
            "no_fever",
            "temperature below 38.0 °C and no antipyretic or "
            "anti-cytokine therapy: fever is required for CRS, so no CRS",
            inputs,
        )
    domains = {
        "hypotension": None if hypotension is None else HYPOTENSION_GRADE[hypotension],
        "hypoxia": _hypoxia_grade(oxygen, baseline_home_oxygen),
    }
    grade, decider, missing = worst_grade(domains, ceiling=MAX_GRADE)
    if grade is None:
        return _crs(None, "unknown", f"missing: {', '.join(missing)}", inputs)
    if grade > 0:
        reason = f"{decider} grade {grade} is the worse of hypotension and hypoxia"
        return _crs(grade, f"{decider}.g{grade}", reason, inputs)
    return _crs_without_organ_signs(inputs, fever=fever)


def _crs_without_organ_signs(
    inputs: tuple[tuple[str, InputValue], ...], *, fever: bool | None
) -> Assessment[int]:
    if fever is True:
        return _crs(1, "fever.g1", "fever >= 38.0 °C without hypotension or hypoxia", inputs)
    if fever is None:
        return _crs(None, "unknown", "temperature missing and no hypotension or hypoxia", inputs)
    reason = (
        "no fever after antipyretic or anti-cytokine therapy (fever criterion waived) "
        "and neither hypotension nor hypoxia"
    )
    return _crs(0, "fever_waived.no_signs", reason, inputs)


def _oxygen_input(oxygen: Oxygen | None) -> InputValue:
    if isinstance(oxygen, OxygenNeed):
        flow = "" if oxygen.flow_l_min is None else f" {oxygen.flow_l_min} L/min"
        return f"{oxygen.device.value}{flow}"
    return oxygen


def _crs_inputs(
    temperature_c: DecimalInput | None,
    hypotension: Hypotension | None,
    oxygen: Oxygen | None,
    baseline: Oxygen | None,
    *,
    waived: bool,
) -> tuple[tuple[str, InputValue], ...]:
    return (
        ("temperature_c", temperature_c),
        ("antipyretic_or_anticytokine", waived),
        ("hypotension", hypotension),
        ("oxygen", _oxygen_input(oxygen)),
        ("baseline_home_oxygen", _oxygen_input(baseline)),
    )


def _ice_grade(ice_score: int | None, consciousness: Consciousness | None) -> int | None:
    """ICE 10 → 0, 7-9 → 1, 3-6 → 2, 0-2 → 3; unarousable (unable to perform ICE) → 4."""
    if consciousness is Consciousness.UNAROUSABLE and not ice_score:
        return 4
    if ice_score is None:
        return None
    if ice_score == 10:
        return 0
    if ice_score >= 7:
        return 1
    return 2 if ice_score >= 3 else 3


def _check_ice(ice_score: int | None, consciousness: Consciousness | None) -> None:
    if ice_score is None:
        return
    if type(ice_score) is not int or not 0 <= ice_score <= 10:
        raise AssessmentInputError("ice_score", ice_score, "an integer 0-10")
    if consciousness is Consciousness.UNAROUSABLE and ice_score > 0:
        raise AssessmentInputError(
            "ice_score", ice_score, "0 or missing for an unarousable patient (unable to do ICE)"
        )


def grade_icans(
    ice_score: int | None,
    consciousness: Consciousness | None,
    seizure: Seizure | None,
    motor: MotorFinding | None,
    raised_icp: RaisedIcp | None,
) -> Assessment[int]:
    """The ASTCT ICANS grade for adults (0-4): the most severe of its five domains.

    Each domain must be assessed; a missing one (``None``) leaves the grade unknown
    unless another domain is already grade 4. Rule ids ``astct2019.icans.<domain>.gN``
    name the deciding domain; ``astct2019.icans.none`` is grade 0.
    """
    _check_ice(ice_score, consciousness)
    inputs: tuple[tuple[str, InputValue], ...] = (
        ("ice_score", ice_score),
        ("consciousness", consciousness),
        ("seizure", seizure),
        ("motor", motor),
        ("raised_icp", raised_icp),
    )
    domains = {
        "ice": _ice_grade(ice_score, consciousness),
        "consciousness": None if consciousness is None else CONSCIOUSNESS_GRADE[consciousness],
        "seizure": None if seizure is None else SEIZURE_GRADE[seizure],
        "motor": None if motor is None else MOTOR_GRADE[motor],
        "raised_icp": None if raised_icp is None else ICP_GRADE[raised_icp],
    }
    grade, decider, missing = worst_grade(domains, ceiling=MAX_GRADE)
    listing = "; ".join(f"{name} {'?' if g is None else g}" for name, g in domains.items())
    if grade is None:
        rule, reason = "unknown", f"missing: {', '.join(missing)} (domain grades: {listing})"
    elif grade == 0:
        rule, reason = "none", f"every domain normal (domain grades: {listing})"
    else:
        rule = f"{decider}.g{grade}"
        reason = f"most severe domain {decider} is grade {grade} (domain grades: {listing})"
    status = AssessmentStatus.UNKNOWN if grade is None else AssessmentStatus.KNOWN
    return Assessment(
        grade, status, ICANS_ALGORITHM, VERSION, f"astct2019.icans.{rule}", reason, inputs
    )
