"""GLI-2012, GLI Global 2022 and GLI-2017 against their tables, the LMS identities and pyspiro.

pyspiro 1.0.0 (a dev dependency, never imported by trialdesk) reads the same published tables
and, like trialdesk, interpolates the quarter-year splines linearly
(``pyspiro.src.reference.SplineReference._interpolated_splines``); so L, M, S and z agree to
1e-9. Its ``percent()`` rounds to 2 decimals and its sex codes are female 0, male 1.
"""

from __future__ import annotations

import csv
import math
from importlib.resources import files
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyspiro import BOWERMAN_2022, GLI_2012, GLI_2017  # type: ignore[import-untyped]

from trialdesk.clinical.gli import (
    HEIGHT_RANGE_CM,
    Ethnicity,
    GliEquation,
    GliInputError,
    GliParameter,
    Lms,
    Sex,
    TransferUnits,
    compute_gli,
    compute_gli_lms,
    compute_hb_corrected_transfer,
)
from trialdesk.errors import TrialdeskError

SPIROMETRY = [GliParameter.FEV1, GliParameter.FVC, GliParameter.FEV1FVC]
TRANSFER = [
    (GliParameter.TLCO, TransferUnits.SI, 1),
    (GliParameter.TLCO, TransferUnits.TRADITIONAL, 2),
    (GliParameter.KCO, TransferUnits.SI, 3),
    (GliParameter.KCO, TransferUnits.TRADITIONAL, 4),
    (GliParameter.VA, None, 5),
]
PYSPIRO_SEX = {Sex.FEMALE: 0, Sex.MALE: 1}
PYSPIRO_ETHNICITY = {e: code for code, e in enumerate(Ethnicity, start=1)}
PYSPIRO_SPIROMETRY = {GliParameter.FEV1: 1, GliParameter.FVC: 2, GliParameter.FEV1FVC: 3}
TYPICAL = {GliParameter.FEV1: 3.0, GliParameter.FVC: 4.0, GliParameter.FEV1FVC: 0.75}

PYSPIRO_GLI_2012 = GLI_2012()
PYSPIRO_GLOBAL = BOWERMAN_2022()
PYSPIRO_2017 = GLI_2017()

ages = st.floats(min_value=5.0, max_value=90.0, allow_nan=False)
heights = st.floats(min_value=100.0, max_value=210.0, allow_nan=False)
sexes = st.sampled_from(list(Sex))


def _close(ours: float, theirs: float) -> bool:
    return math.isclose(ours, float(theirs), rel_tol=1e-9, abs_tol=1e-12)


def _assert_lms(ours: Lms, theirs: tuple[float, float, float]) -> None:
    assert _close(ours.L, theirs[0])
    assert _close(ours.M, theirs[1])
    assert _close(ours.S, theirs[2])


def _table_row(name: str, age: str) -> dict[str, str]:
    text = (files("trialdesk.clinical") / "data" / "gli" / name).read_text(encoding="utf-8")
    return next(r for r in csv.DictReader(text.splitlines(), delimiter=";") if r["age"] == age)


# --- pyspiro cross-check: every parameter, both sexes, a grid of ages and heights ----------


@settings(max_examples=150, deadline=None)
@given(
    age=ages,
    height=heights,
    sex=sexes,
    parameter=st.sampled_from(SPIROMETRY),
    ethnicity=st.sampled_from(list(Ethnicity)),
)
def test_gli_2012_matches_pyspiro(
    age: float, height: float, sex: Sex, parameter: GliParameter, ethnicity: Ethnicity
) -> None:
    value = TYPICAL[parameter]
    ours = compute_gli(
        GliEquation.GLI_2012, parameter, value, sex=sex, age=age, height=height, ethnicity=ethnicity
    )
    args = (
        PYSPIRO_SEX[sex],
        age,
        height,
        PYSPIRO_ETHNICITY[ethnicity],
        PYSPIRO_SPIROMETRY[parameter],
        value,
    )
    _assert_lms(Lms(ours.L, ours.M, ours.S), PYSPIRO_GLI_2012.lms(*args))
    assert _close(ours.z, PYSPIRO_GLI_2012.zscore(*args))
    assert _close(ours.lln, PYSPIRO_GLI_2012.lln(*args))
    assert _close(ours.uln, PYSPIRO_GLI_2012.uln(*args))
    # pyspiro rounds percent predicted to 2 decimals; trialdesk does not
    assert round(ours.percent_predicted, 2) == pytest.approx(PYSPIRO_GLI_2012.percent(*args))


@settings(max_examples=150, deadline=None)
@given(age=ages, height=heights, sex=sexes, parameter=st.sampled_from(SPIROMETRY))
def test_gli_global_2022_matches_pyspiro(
    age: float, height: float, sex: Sex, parameter: GliParameter
) -> None:
    value = TYPICAL[parameter]
    ours = compute_gli(
        GliEquation.GLI_GLOBAL_2022, parameter, value, sex=sex, age=age, height=height
    )
    args = (PYSPIRO_SEX[sex], age, height, PYSPIRO_SPIROMETRY[parameter], value)
    _assert_lms(Lms(ours.L, ours.M, ours.S), PYSPIRO_GLOBAL.lms(*args))
    assert _close(ours.z, PYSPIRO_GLOBAL.zscore(*args))
    assert _close(ours.lln, PYSPIRO_GLOBAL.lln(*args))


@settings(max_examples=150, deadline=None)
@given(age=ages, height=heights, sex=sexes, case=st.sampled_from(TRANSFER))
def test_gli_2017_matches_pyspiro_in_both_unit_systems(
    age: float, height: float, sex: Sex, case: tuple[GliParameter, TransferUnits | None, int]
) -> None:
    parameter, units, code = case
    value = {GliParameter.TLCO: 8.0, GliParameter.KCO: 1.5, GliParameter.VA: 5.0}[parameter]
    if units is TransferUnits.TRADITIONAL:
        value *= 2.987
    ours = compute_gli(
        GliEquation.GLI_2017, parameter, value, sex=sex, age=age, height=height, units=units
    )
    args = (PYSPIRO_SEX[sex], age, height, code, value)
    _assert_lms(Lms(ours.L, ours.M, ours.S), PYSPIRO_2017.lms(*args))
    assert _close(ours.z, PYSPIRO_2017.zscore(*args))
    assert _close(ours.uln, PYSPIRO_2017.uln(*args))


# --- the tables and the equations, by hand -----------------------------------------------


def test_gli_2012_at_a_table_row_is_the_closed_form_with_that_row() -> None:
    # Quanjer 2012 supplement, FEV1 males: M = exp(-10.342 + 2.2196 ln H + 0.0574 ln A
    # + a4 (NE Asian, -0.0351) + Mspline); S = exp(-2.3268 + 0.0798 ln A + p3 (-0.3973)
    # + Sspline); L = 0.8866 + 0.085 ln A. Spline row: gli_2012_splines.csv, age 40.
    row = _table_row("gli_2012_splines.csv", "40")
    lms = compute_gli_lms(
        GliEquation.GLI_2012,
        GliParameter.FEV1,
        sex=Sex.MALE,
        age=40.0,
        height=170.0,
        ethnicity=Ethnicity.NE_ASIAN,
    )
    ln_a = math.log(40.0)
    mspline, sspline = float(row["FEV1_males_Mspline"]), float(row["FEV1_males_Sspline"])
    assert math.isclose(lms.L, 0.8866 + 0.085 * ln_a, rel_tol=1e-12)
    m = math.exp(-10.342 + 2.2196 * math.log(170.0) + 0.0574 * ln_a - 0.0351 + mspline)
    assert math.isclose(lms.M, m, rel_tol=1e-12)
    assert math.isclose(lms.S, math.exp(-2.3268 + 0.0798 * ln_a - 0.3973 + sspline), rel_tol=1e-12)


def test_splines_are_interpolated_linearly_between_quarter_year_rows() -> None:
    # Half-way between the 40.0 and 40.25 rows the M spline is the mean of the two rows;
    # rspiro's floor-to-row look-up would use the 40.0 row alone.
    low, high = (
        _table_row("bowerman_2022_splines.csv", "40.0"),
        _table_row("bowerman_2022_splines.csv", "40.25"),
    )
    spline = (float(low["FVC_females_Mspline"]) + float(high["FVC_females_Mspline"])) / 2
    lms = compute_gli_lms(
        GliEquation.GLI_GLOBAL_2022, GliParameter.FVC, sex=Sex.FEMALE, age=40.125, height=160.0
    )
    # Bowerman 2023 supplement, FVC females: M = exp(-12.055901 + 2.621579 ln H
    # - 0.035975 ln A + Mspline)
    m = math.exp(-12.055901 + 2.621579 * math.log(160.0) - 0.035975 * math.log(40.125) + spline)
    assert math.isclose(lms.M, m, rel_tol=1e-12)
    floor_row = math.exp(
        -12.055901
        + 2.621579 * math.log(160.0)
        - 0.035975 * math.log(40.125)
        + float(low["FVC_females_Mspline"])
    )
    assert not math.isclose(lms.M, floor_row, rel_tol=1e-9)


def test_gli_global_uses_the_published_negative_q1_for_female_fev1fvc() -> None:
    # Bowerman 2023 supplement (and rspiro getLMS_GLIgl.R): L = 6.6490 - 0.9920 ln(age);
    # pyspiro's legacy bowermann_2022 table has +0.992 and is not shipped.
    lms = compute_gli_lms(
        GliEquation.GLI_GLOBAL_2022, GliParameter.FEV1FVC, sex=Sex.FEMALE, age=50.0, height=160.0
    )
    assert math.isclose(lms.L, 6.6490 - 0.9920 * math.log(50.0), rel_tol=1e-12)


@pytest.mark.parametrize("parameter", [GliParameter.TLCO, GliParameter.KCO])
@pytest.mark.parametrize("sex", list(Sex))
def test_traditional_units_are_si_times_2_987(parameter: GliParameter, sex: Sex) -> None:
    # Stanojevic 2017: 1 mmol/min/kPa = 2.987 mL/min/mmHg. The two published tables agree
    # with that factor to about 1e-6 (their splines differ in the 8th digit).
    def m(units: TransferUnits) -> float:
        return compute_gli_lms(
            GliEquation.GLI_2017, parameter, sex=sex, age=45.0, height=172.0, units=units
        ).M

    assert m(TransferUnits.TRADITIONAL) / m(TransferUnits.SI) == pytest.approx(2.987, rel=2e-6)


@pytest.mark.parametrize("equation", [GliEquation.GLI_2012, GliEquation.GLI_GLOBAL_2022])
def test_lln_and_uln_are_at_z_minus_and_plus_1_645(equation: GliEquation) -> None:
    ethnicity = Ethnicity.SE_ASIAN if equation is GliEquation.GLI_2012 else None
    result = compute_gli(
        equation,
        GliParameter.FEV1FVC,
        0.75,
        sex=Sex.MALE,
        age=60.0,
        height=175.0,
        ethnicity=ethnicity,
    )
    lms = Lms(result.L, result.M, result.S)
    assert lms.z_score(result.lln) == pytest.approx(-1.645, abs=1e-12)
    assert lms.z_score(result.uln) == pytest.approx(1.645, abs=1e-12)
    assert result.predicted == result.M
    assert result.percent_predicted == 100 * 0.75 / result.M


def test_result_records_the_inputs_and_the_reference() -> None:
    # the strings the command line passes are accepted as the enum members they name
    result = compute_gli(
        "gli-2017",  # type: ignore[arg-type]
        "TLCO",  # type: ignore[arg-type]
        25.0,
        sex="F",  # type: ignore[arg-type]
        age=30.5,
        height=165.0,
        units="traditional",  # type: ignore[arg-type]
    )
    assert result.equation is GliEquation.GLI_2017
    assert result.units is TransferUnits.TRADITIONAL
    assert result.sex is Sex.FEMALE
    assert (result.age, result.height, result.value, result.ethnicity) == (30.5, 165.0, 25.0, None)
    assert result.reference.startswith("Stanojevic et al. 2017")
    assert "erratum 2020" in result.reference
    with pytest.raises(AttributeError):
        result.z = 0.0  # type: ignore[misc]


def test_l_zero_falls_back_to_the_log_normal_limit() -> None:
    lms = Lms(L=0.0, M=4.0, S=0.1)
    assert lms.quantile(-1.645) == pytest.approx(4.0 * math.exp(-0.1645))
    assert lms.z_score(4.0 * math.exp(0.2)) == pytest.approx(2.0)


# --- refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("equation", "parameter", "age", "message"),
    [
        (
            GliEquation.GLI_2012,
            GliParameter.FEV1,
            2.99,
            "argument `age` got 2.99; expected 3 to 95 years",
        ),
        (
            GliEquation.GLI_2012,
            GliParameter.FEV1,
            95.01,
            "argument `age` got 95.01; expected 3 to 95 years",
        ),
        (
            GliEquation.GLI_GLOBAL_2022,
            GliParameter.FVC,
            96.0,
            "argument `age` got 96.0; expected 3 to 95 years",
        ),
        (
            GliEquation.GLI_2017,
            GliParameter.TLCO,
            4.9,
            "argument `age` got 4.9; expected 5 to 90 years",
        ),
        (
            GliEquation.GLI_2017,
            GliParameter.VA,
            90.1,
            "argument `age` got 90.1; expected 5 to 90 years",
        ),
        (
            GliEquation.GLI_2017,
            GliParameter.KCO,
            math.nan,
            "argument `age` got nan; expected 5 to 90 years",
        ),
    ],
)
def test_age_outside_the_table_is_refused_not_extrapolated(
    equation: GliEquation, parameter: GliParameter, age: float, message: str
) -> None:
    ethnicity = Ethnicity.CAUCASIAN if equation is GliEquation.GLI_2012 else None
    with pytest.raises(GliInputError) as caught:
        compute_gli_lms(
            equation, parameter, sex=Sex.MALE, age=age, height=170.0, ethnicity=ethnicity
        )
    assert str(caught.value) == message
    assert caught.value.argument == "age"
    assert isinstance(caught.value, TrialdeskError)


@pytest.mark.parametrize("height", [HEIGHT_RANGE_CM[0] - 0.1, HEIGHT_RANGE_CM[1] + 1, -170.0])
def test_height_outside_the_range_is_refused(height: float) -> None:
    with pytest.raises(GliInputError, match=r"argument `height` got .*; expected 80 to 250 cm"):
        compute_gli_lms(
            GliEquation.GLI_GLOBAL_2022, GliParameter.FEV1, sex=Sex.FEMALE, age=40.0, height=height
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"equation": "gli-2012", "parameter": "FEV1"},
            "argument `ethnicity` got None; expected one of the five GLI-2012 groups for gli-2012",
        ),
        (
            {"equation": "gli-global-2022", "parameter": "FEV1", "ethnicity": "caucasian"},
            "argument `ethnicity` got 'caucasian'; expected none: gli-global-2022 is race-neutral",
        ),
        (
            {"equation": "gli-2017", "parameter": "FEV1"},
            "argument `parameter` got 'FEV1'; expected one of KCO, TLCO, VA for gli-2017",
        ),
        (
            {"equation": "gli-global-2022", "parameter": "FVC", "units": "si"},
            "argument `units` got 'si'; expected no units for FVC (litres or a ratio)",
        ),
        (
            {"equation": "gli-2012", "parameter": "PEF", "ethnicity": "other"},
            (
                "argument `parameter` got 'PEF'; expected one of 'FEV1', 'FVC', 'FEV1FVC', "
                "'TLCO', 'KCO', 'VA'"
            ),
        ),
    ],
)
def test_inconsistent_choices_are_refused_with_a_message(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(GliInputError) as caught:
        compute_gli_lms(sex=Sex.MALE, age=40.0, height=175.0, **kwargs)
    assert str(caught.value) == message


@pytest.mark.parametrize("value", [75.0, 1.01, 0.0, -0.5])
def test_fev1fvc_is_a_ratio_never_a_percentage(value: float) -> None:
    with pytest.raises(GliInputError, match="argument `value`"):
        compute_gli(
            GliEquation.GLI_GLOBAL_2022,
            GliParameter.FEV1FVC,
            value,
            sex=Sex.MALE,
            age=40.0,
            height=175.0,
        )


# --- haemoglobin correction (Graham et al., ERS/ATS 2017 DLCO standard) -------------------


@pytest.mark.parametrize(
    ("sex", "age", "reference_hb"),
    [
        (Sex.MALE, 15.0, 14.6),
        (Sex.MALE, 40.0, 14.6),
        (Sex.FEMALE, 40.0, 13.4),
        (Sex.MALE, 14.9, 13.4),
    ],
)
def test_hb_correction_is_neutral_at_the_reference_haemoglobin(
    sex: Sex, age: float, reference_hb: float
) -> None:
    assert compute_hb_corrected_transfer(8.0, reference_hb, sex=sex, age=age) == pytest.approx(8.0)


def test_hb_correction_raises_tlco_in_anaemia() -> None:
    # adult male, Hb 10 g/dL: 8.0 * (10.22 + 10) / (1.7 * 10) = 9.515294...
    corrected = compute_hb_corrected_transfer(8.0, 10.0, sex=Sex.MALE, age=50.0)
    assert corrected == pytest.approx(8.0 * 20.22 / 17.0, rel=1e-15)
    # adult female, Hb 10 g/dL: 8.0 * (9.38 + 10) / 17
    female = compute_hb_corrected_transfer(8.0, 10.0, sex=Sex.FEMALE, age=50.0)
    assert female == pytest.approx(8.0 * 19.38 / 17.0, rel=1e-15)


def test_hb_in_g_per_litre_is_refused() -> None:
    with pytest.raises(
        GliInputError, match=r"argument `haemoglobin_g_dl` got 140.0; expected 1 to 30 g/dL"
    ):
        compute_hb_corrected_transfer(8.0, 140.0, sex=Sex.MALE, age=50.0)
