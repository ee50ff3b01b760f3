"""Skeleton calibration: dfcrm's getprior values, and the indifference intervals it promises."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy import optimize

from trialdesk.design.crm import CrmModel, compute_toxicity
from trialdesk.design.skeleton import calibrate_skeleton
from trialdesk.errors import DesignInputError

# --- strategies -------------------------------------------------------------------------------


@st.composite
def calibrations(draw: st.DrawFn) -> dict[str, Any]:
    """Arguments of a calibration (a wide half-width far from ``nu`` can underflow to 0)."""
    target = draw(st.floats(0.1, 0.5))
    levels = draw(st.integers(2, 7))
    return {
        "target": target,
        "halfwidth": draw(st.floats(0.02, 0.6)) * min(target, 1 - target),
        "nu": draw(st.integers(1, levels)),
        "levels": levels,
        "model": draw(st.sampled_from(["empiric", "logistic"])),
    }


# --- dfcrm's getprior -------------------------------------------------------------------------

GETPRIOR = Path(__file__).resolve().parents[2] / "data" / "dfcrm" / "getprior.json"


def getprior_cases() -> list[Any]:
    cases = json.loads(GETPRIOR.read_text(encoding="utf-8"))["cases"]
    return [pytest.param(case, id=case["id"]) for case in cases]


@pytest.mark.parametrize("case", getprior_cases())
def test_skeleton_matches_getprior(case: dict[str, Any]) -> None:
    # case["call"] is the R call, e.g. getprior(halfwidth = 0.1, target = 0.25, nu = 3,
    # nlevel = 6, model = "logistic"), getprior.Rd's example.
    inputs = case["inputs"]
    skeleton = calibrate_skeleton(
        inputs["target"],
        inputs["halfwidth"],
        inputs["nu"],
        inputs["nlevel"],
        model=inputs.get("model", "empiric"),
        intercept=inputs.get("intcpt", 3.0),
    )
    assert skeleton == pytest.approx(case["output"]["prior"], rel=1e-12), case["call"]


# --- Lee & Cheung 2009's defining property ----------------------------------------------------


@given(calibrations())
def test_indifference_intervals_have_the_stated_halfwidth(arguments: dict[str, Any]) -> None:
    # Where the CRM's choice switches from dose k to k + 1 (p_k + p_{k+1} = 2 target, the
    # midpoint of dfcrm's crmsens), the two doses sit at target - halfwidth and target + halfwidth.
    skeleton = calibrate_skeleton(**arguments)
    assume(min(skeleton) > 1e-9 and max(skeleton) < 1 - 1e-9)
    target, halfwidth = arguments["target"], arguments["halfwidth"]
    assert skeleton[arguments["nu"] - 1] == pytest.approx(target, rel=1e-12)
    model = CrmModel(skeleton, arguments["model"])
    for k in range(len(skeleton) - 1):

        def gap(beta: float, k: int = k) -> float:
            p = compute_toxicity(model, beta)
            return p[k] + p[k + 1] - 2.0 * float(target)

        switch = optimize.brentq(gap, -30.0, 30.0, xtol=1e-14)
        p = compute_toxicity(model, switch)
        assert p[k] == pytest.approx(target - halfwidth, abs=1e-9)
        assert p[k + 1] == pytest.approx(target + halfwidth, abs=1e-9)


# --- refused input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "argument", "value"),
    [
        ({"halfwidth": 0.0}, "halfwidth", 0.0),
        ({"halfwidth": 0.25}, "halfwidth", 0.25),
        ({"halfwidth": -0.05}, "halfwidth", -0.05),
        ({"target": 1.0}, "target", 1.0),
        ({"target": 0.0}, "target", 0.0),
        ({"nu": 0}, "nu", 0),
        ({"nu": 7}, "nu", 7),
        ({"levels": 0, "nu": 1}, "levels", 0),
        ({"model": "probit"}, "model", "probit"),
        ({"model": "logistic", "intercept": -1.0}, "intercept", -1.0),
    ],
)
def test_bad_calibration_is_refused_naming_argument_and_value(
    arguments: dict[str, Any], argument: str, value: object
) -> None:
    call = {"target": 0.25, "halfwidth": 0.05, "nu": 3, "levels": 6} | arguments
    with pytest.raises(DesignInputError) as caught:
        calibrate_skeleton(**call)
    assert (caught.value.argument, caught.value.value) == (argument, value)
