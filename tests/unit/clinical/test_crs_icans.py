"""ASTCT CRS and ICANS grading against the consensus tables.

Expected grades are read off Lee DW et al., ASTCT Consensus Grading for Cytokine Release
Syndrome and Neurologic Toxicity Associated with Immune Effector Cells, Biol Blood Marrow
Transplant 2019;25:625-638: table "ASTCT CRS Consensus Grading" (rows fever, hypotension,
hypoxia) and table "ASTCT ICANS Consensus Grading for Adults" (rows ICE score, depressed
level of consciousness, seizure, motor findings, elevated ICP/cerebral edema).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialdesk.clinical.crs_icans import (
    Consciousness,
    Hypotension,
    MotorFinding,
    OxygenDevice,
    OxygenNeed,
    OxygenSupport,
    RaisedIcp,
    Seizure,
    classify_oxygen,
    grade_crs,
    grade_icans,
)
from trialdesk.clinical.results import Assessment, AssessmentInputError, AssessmentStatus

H, O = Hypotension, OxygenSupport  # noqa: E741 - O reads as the table's oxygen row

# --- CRS ---------------------------------------------------------------------------------------

CRS_ROWS = [
    # (temperature, hypotension, oxygen, grade, rule suffix), id = the table cell
    pytest.param(
        38.0, H.NONE, O.NONE, 1, "fever.g1", id="G1: temperature >= 38 °C, no hypotension/hypoxia"
    ),
    pytest.param(
        39.5, H.FLUIDS, O.NONE, 2, "hypotension.g2", id="G2 hypotension: not requiring vasopressors"
    ),
    pytest.param(
        38.2, H.NONE, O.LOW_FLOW, 2, "hypoxia.g2", id="G2 hypoxia: low-flow cannula <= 6 L/min"
    ),
    pytest.param(
        38.2, H.ONE_VASOPRESSOR, O.NONE, 3, "hypotension.g3", id="G3: a vasopressor +/- vasopressin"
    ),
    pytest.param(
        38.2, H.FLUIDS, O.HIGH_FLOW, 3, "hypoxia.g3", id="G3 hypoxia: HFNC, facemask, NRB, Venturi"
    ),
    pytest.param(
        38.2,
        H.MULTIPLE_VASOPRESSORS,
        O.LOW_FLOW,
        4,
        "hypotension.g4",
        id="G4: multiple vasopressors",
    ),
    pytest.param(
        38.2,
        H.ONE_VASOPRESSOR,
        O.POSITIVE_PRESSURE,
        4,
        "hypoxia.g4",
        id="G4: CPAP, BiPAP, intubation",
    ),
    pytest.param(
        37.9, H.MULTIPLE_VASOPRESSORS, O.POSITIVE_PRESSURE, 0, "no_fever", id="fever is required"
    ),
]


@pytest.mark.parametrize(("temp", "hypotension", "oxygen", "grade", "rule"), CRS_ROWS)
def test_crs_grade_follows_the_consensus_table(
    temp: float, hypotension: Hypotension, oxygen: OxygenSupport, grade: int, rule: str
) -> None:
    result = grade_crs(temp, hypotension, oxygen)
    assert result.value == grade
    assert result.rule == f"astct2019.crs.{rule}"
    assert result.status is AssessmentStatus.KNOWN
    assert result.inputs_dict()["hypotension"] is hypotension


def test_fever_threshold_is_inclusive_and_exact() -> None:
    assert grade_crs(Decimal("38.0"), H.NONE, O.NONE).value == 1
    assert grade_crs("37.99", H.NONE, O.NONE).value == 0


@pytest.mark.parametrize(
    ("hypotension", "oxygen", "grade"),
    [(H.NONE, O.NONE, 0), (H.FLUIDS, O.NONE, 2), (H.NONE, O.HIGH_FLOW, 3)],
)
def test_antipyretic_waives_fever_and_grade_follows_hypotension_or_hypoxia(
    hypotension: Hypotension, oxygen: OxygenSupport, grade: int
) -> None:
    # Consensus text: after antipyretic or anti-cytokine therapy fever is no longer required;
    # grading is driven by hypotension and/or hypoxia.
    result = grade_crs(36.8, hypotension, oxygen, antipyretic_or_anticytokine=True)
    assert result.value == grade
    if grade == 0:
        assert result.rule == "astct2019.crs.fever_waived.no_signs"


def test_fever_with_antipyretic_and_no_organ_signs_is_still_grade_1() -> None:
    assert grade_crs(38.4, H.NONE, O.NONE, antipyretic_or_anticytokine=True).value == 1


def test_missing_temperature_is_unknown_with_its_reason() -> None:
    result = grade_crs(None, H.FLUIDS, O.NONE)
    assert result.value is None
    assert result.status is AssessmentStatus.UNKNOWN
    assert "temperature" in result.reason


def test_missing_domain_is_unknown_unless_the_other_is_grade_4() -> None:
    assert grade_crs(38.5, None, O.LOW_FLOW).value is None
    assert grade_crs(38.5, None, O.POSITIVE_PRESSURE).value == 4


@pytest.mark.parametrize(
    ("device", "flow", "support"),
    [
        (OxygenDevice.NASAL_CANNULA, "6", O.LOW_FLOW),  # <= 6 L/min is low flow
        (OxygenDevice.NASAL_CANNULA, "6.5", O.HIGH_FLOW),  # > 6 L/min is high flow
        (OxygenDevice.BLOW_BY, None, O.LOW_FLOW),
        (OxygenDevice.FACEMASK, None, O.HIGH_FLOW),
        (OxygenDevice.NON_REBREATHER, None, O.HIGH_FLOW),
        (OxygenDevice.VENTURI, None, O.HIGH_FLOW),
        (OxygenDevice.CPAP, None, O.POSITIVE_PRESSURE),
        (OxygenDevice.BIPAP, None, O.POSITIVE_PRESSURE),
        (OxygenDevice.MECHANICAL_VENTILATION, None, O.POSITIVE_PRESSURE),
    ],
)
def test_oxygen_devices_map_to_the_hypoxia_rows(
    device: OxygenDevice, flow: str | None, support: OxygenSupport
) -> None:
    assert classify_oxygen(device, flow) is support


def test_nasal_cannula_without_flow_is_refused_by_name() -> None:
    with pytest.raises(AssessmentInputError, match="argument `flow_l_min` got None"):
        classify_oxygen(OxygenDevice.NASAL_CANNULA, None)


HOME_2L = OxygenNeed(OxygenDevice.NASAL_CANNULA, 2)


@pytest.mark.parametrize(
    ("current", "baseline", "grade"),
    [
        (OxygenNeed(OxygenDevice.NASAL_CANNULA, 2), HOME_2L, 1),  # at baseline: fever only
        (OxygenNeed(OxygenDevice.NASAL_CANNULA, 4), HOME_2L, 2),  # more flow, same row
        (OxygenNeed(OxygenDevice.FACEMASK), HOME_2L, 3),  # higher row
        (O.NONE, HOME_2L, 1),  # below baseline
        (OxygenNeed(OxygenDevice.NASAL_CANNULA, 8), OxygenNeed(OxygenDevice.NASAL_CANNULA, 8), 1),
        (O.LOW_FLOW, HOME_2L, None),  # same row, flow unknown: cannot tell
        (OxygenNeed(OxygenDevice.BIPAP), OxygenNeed(OxygenDevice.BIPAP), 1),  # home BiPAP
    ],
)
def test_home_oxygen_counts_only_need_above_baseline(
    current: OxygenSupport | OxygenNeed, baseline: OxygenNeed, grade: int | None
) -> None:
    result = grade_crs(38.3, H.NONE, current, baseline_home_oxygen=baseline)
    assert result.value == grade


def test_without_a_baseline_home_oxygen_is_graded_as_written() -> None:
    assert grade_crs(38.3, H.NONE, OxygenNeed(OxygenDevice.NASAL_CANNULA, 2)).value == 2


@pytest.mark.parametrize("temp", [20, 46, float("nan"), "abc"])
def test_implausible_temperature_is_refused_by_name(temp: float | str) -> None:
    with pytest.raises(AssessmentInputError, match="argument `temperature_c`"):
        grade_crs(temp, H.NONE, O.NONE)


@given(
    st.decimals(min_value=25, max_value=45, places=1),
    st.sampled_from(Hypotension),
    st.sampled_from(OxygenSupport),
)
def test_crs_grade_is_the_worse_domain_when_febrile(
    temp: Decimal, hypotension: Hypotension, oxygen: OxygenSupport
) -> None:
    result = grade_crs(temp, hypotension, oxygen)
    assert result.value is not None
    if temp < 38:
        assert result.value == 0
    else:
        organ = max(list(Hypotension).index(hypotension) + 1, list(OxygenSupport).index(oxygen) + 1)
        assert result.value == (1 if organ == 1 else organ)


# --- ICANS -------------------------------------------------------------------------------------


def _icans(
    ice: int | None = 10,
    consciousness: Consciousness | None = Consciousness.NORMAL,
    *,
    seizure: Seizure | None = Seizure.NONE,
    motor: MotorFinding | None = MotorFinding.NONE,
    raised_icp: RaisedIcp | None = RaisedIcp.NONE,
) -> Assessment[int]:
    return grade_icans(ice, consciousness, seizure, motor, raised_icp)


@pytest.mark.parametrize(
    ("ice", "grade"),
    # ICE row: 7-9 -> G1, 3-6 -> G2, 0-2 -> G3 (awake; footnote: ICE 0 awake with global
    # aphasia is grade 3); 10 is no ICANS.
    [(10, 0), (9, 1), (7, 1), (6, 2), (3, 2), (2, 3), (0, 3)],
)
def test_ice_score_row(ice: int, grade: int) -> None:
    result = _icans(ice)
    assert result.value == grade
    if grade:
        assert result.rule == f"astct2019.icans.ice.g{grade}"


@pytest.mark.parametrize(
    ("consciousness", "grade"),
    [
        (Consciousness.NORMAL, 0),
        (Consciousness.SPONTANEOUS, 1),  # awakens spontaneously
        (Consciousness.VOICE, 2),  # awakens to voice
        (Consciousness.TACTILE, 3),  # awakens only to tactile stimulus
        (Consciousness.UNAROUSABLE, 4),  # unarousable / vigorous repetitive stimuli; stupor, coma
    ],
)
def test_depressed_level_of_consciousness_row(consciousness: Consciousness, grade: int) -> None:
    ice = 0 if consciousness is Consciousness.UNAROUSABLE else 10
    assert _icans(ice, consciousness).value == grade


def test_ice_0_because_unarousable_is_grade_4() -> None:
    # ICE row, G4 cell: "0 (patient is unarousable and unable to perform ICE)".
    assert _icans(None, Consciousness.UNAROUSABLE).value == 4
    assert _icans(0, Consciousness.UNAROUSABLE).value == 4


@pytest.mark.parametrize(
    ("domain", "finding", "grade"),
    [
        ("seizure", Seizure.RAPID_RESOLVING, 3),  # resolves rapidly / EEG with intervention
        ("seizure", Seizure.PROLONGED, 4),  # > 5 min or repetitive without return to baseline
        ("motor", MotorFinding.DEEP_FOCAL_WEAKNESS, 4),  # hemiparesis, paraparesis
        ("raised_icp", RaisedIcp.FOCAL_EDEMA, 3),  # focal/local oedema on neuroimaging
        ("raised_icp", RaisedIcp.DIFFUSE_EDEMA, 4),  # diffuse oedema, posturing, CN VI palsy
    ],
)
def test_seizure_motor_and_icp_rows(domain: str, finding: StrEnum, grade: int) -> None:
    result = _icans(**{domain: finding})  # type: ignore[arg-type]
    assert result.value == grade
    assert result.rule == f"astct2019.icans.{domain}.g{grade}"


def test_icans_is_the_most_severe_domain() -> None:
    # The table's own example: ICE score 3 with a generalised seizure is grade 3.
    result = _icans(3, seizure=Seizure.RAPID_RESOLVING)
    assert result.value == 3
    assert result.rule == "astct2019.icans.seizure.g3"


def test_missing_domain_is_unknown_unless_another_is_grade_4() -> None:
    unknown = _icans(8, seizure=None)
    assert unknown.status is AssessmentStatus.UNKNOWN
    assert "seizure" in unknown.reason
    assert _icans(8, seizure=None, motor=MotorFinding.DEEP_FOCAL_WEAKNESS).value == 4


@pytest.mark.parametrize("ice", [-1, 11, True, 5.0])
def test_ice_outside_0_to_10_is_refused_by_name(ice: int) -> None:
    with pytest.raises(AssessmentInputError, match="argument `ice_score`"):
        _icans(ice)


def test_unarousable_patient_cannot_have_an_ice_score() -> None:
    with pytest.raises(AssessmentInputError, match="unarousable"):
        _icans(5, Consciousness.UNAROUSABLE)
