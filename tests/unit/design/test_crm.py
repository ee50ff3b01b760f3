"""CRM and TITE-CRM: dfcrm's numbers, the design's rules, refused input.

Golden values come from dfcrm 0.2-2.1 (tests/data/dfcrm/*.json, written by generate.R beside
them); each case holds the exact R call that produced it, shown in every assertion message.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialdesk.design import Decision, DoseLadder, SubjectOutcome, parse_outcomes
from trialdesk.design import _crm_posterior as numerics
from trialdesk.design.crm import (
    CrmData,
    CrmModel,
    Integration,
    compute_posterior,
    compute_toxicity,
    fit_crm,
)
from trialdesk.design.crm_design import CrmDesign, compute_closest_dose, compute_tite_weights
from trialdesk.errors import DesignInputError

# --- strategies -------------------------------------------------------------------------------


@st.composite
def skeletons(draw: st.DrawFn) -> tuple[float, ...]:
    """Strictly increasing, below 0.95 (so the logistic model's default intercept 3 fits)."""
    first = draw(st.floats(0.01, 0.2))
    steps = draw(st.lists(st.floats(0.02, 0.15), min_size=1, max_size=5))
    return tuple(first + sum(steps[:i]) for i in range(len(steps) + 1))


models = st.builds(
    CrmModel,
    skeleton=skeletons(),
    model=st.sampled_from(["empiric", "logistic"]),
    prior_var=st.sampled_from([0.5, 1.0, 1.34, 1.8]),
)


@st.composite
def crm_data(draw: st.DrawFn, doses: int) -> CrmData:
    """DLTs, complete and partially followed subjects per dose, up to 80 subjects."""
    counts = st.lists(st.integers(0, 8), min_size=doses, max_size=doses)
    partial = st.lists(st.tuples(st.integers(0, doses - 1), st.floats(0.0, 0.99)), max_size=4)
    return CrmData(tuple(draw(counts)), tuple(draw(counts)), tuple(draw(partial)))


@st.composite
def model_and_data(draw: st.DrawFn) -> tuple[CrmModel, CrmData]:
    model = draw(models)
    return model, draw(crm_data(len(model.skeleton)))


@st.composite
def crm_designs(draw: st.DrawFn) -> CrmDesign:
    skeleton = draw(skeletons())
    labels = draw(
        st.lists(st.integers(-2, 9), min_size=len(skeleton), max_size=len(skeleton), unique=True)
    )
    window = draw(st.none() | st.sampled_from([14.0, 28.0]))
    return CrmDesign(
        DoseLadder(tuple(sorted(labels))),
        skeleton,
        draw(st.floats(0.1, 0.4)),
        max_n=draw(st.integers(1, 24)),
        cohort_size=draw(st.integers(1, 3)),
        model=draw(st.sampled_from(["empiric", "logistic"])),
        no_skip=draw(st.booleans()),
        coherence=draw(st.booleans()),
        safety_cutoff=draw(st.none() | st.floats(0.6, 0.99)),
        window_days=window,
        scheme=draw(st.sampled_from(["linear", "adaptive"])) if window else "linear",
    )


dlt_draws = st.integers(0, 5).map(lambda k: k == 0)


@st.composite
def cohort_outcomes(draw: st.DrawFn, design: CrmDesign, label: object) -> list[SubjectOutcome]:
    """A cohort at ``label``, a DLT one time in six; under TITE, days into the window (a DLT
    subject's: the day of its DLT)."""
    window = design.window_days
    dlts = st.lists(dlt_draws, min_size=design.cohort_size, max_size=design.cohort_size)
    cohort = []
    for dlt in draw(dlts):
        days = None if window is None else draw(st.floats(0.0, window))
        cohort.append(SubjectOutcome(label, dlt, days))  # type: ignore[arg-type]
    return cohort


Trial = tuple[CrmDesign, list[tuple[tuple[SubjectOutcome, ...], Decision]]]


@st.composite
def trials(draw: st.DrawFn) -> Trial:
    """Run a design to its stop on drawn DLTs; only the newest cohort is still in its window."""
    design = draw(crm_designs())
    history: list[SubjectOutcome] = []
    steps = []
    while True:
        decision = design.decide(history)
        steps.append((tuple(history), decision))
        if decision.stop:
            return design, steps
        history = [
            SubjectOutcome(s.level, s.dlt, s.followup_days if s.dlt else None) for s in history
        ]
        history += draw(cohort_outcomes(design, decision.next_level))


# --- golden values from dfcrm -----------------------------------------------------------------

DFCRM = Path(__file__).resolve().parents[2] / "data" / "dfcrm"
SKELETON = (0.05, 0.10, 0.20, 0.35, 0.50, 0.70)
LADDER = DoseLadder((1, 2, 3, 4, 5, 6))


def dfcrm_cases(name: str) -> list[Any]:
    cases = json.loads((DFCRM / name).read_text(encoding="utf-8"))["cases"]
    return [pytest.param(case, id=case["id"]) for case in cases]


def model_of(inputs: dict[str, Any]) -> CrmModel:
    scale = inputs.get("scale", math.sqrt(1.34))
    return CrmModel(
        tuple(inputs["prior"]), inputs.get("model", "empiric"), inputs.get("intcpt", 3.0), scale**2
    )


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]  # jsonlite writes length-1 vectors bare


def assert_fit_matches(
    fit: Any, output: dict[str, Any], rel: float, beta_abs: float, call: str
) -> None:
    assert fit.estimate == pytest.approx(output["estimate"], rel=rel, abs=beta_abs), call
    assert fit.post_var == pytest.approx(output["post.var"], rel=rel), call
    assert fit.p_tox == pytest.approx(as_list(output["ptox"]), rel=rel), call
    assert fit.p_tox_lower == pytest.approx(as_list(output["ptoxL"]), rel=rel), call
    assert fit.p_tox_upper == pytest.approx(as_list(output["ptoxU"]), rel=rel), call


# The grid is exact to ~1e-13 (see the grid-vs-quad property below); R's integrate, at its
# rel.tol = eps^0.25, leaves dfcrm's own β off by up to 2e-7 on these cases, so β (a location
# near 0) is compared to 1e-6 absolute and everything else to 1e-6 relative. The quad path
# runs the same QUADPACK rules with R's tolerances and must agree to 1e-9.
TOLERANCE = {"grid": (1e-6, 1e-6), "quad": (1e-9, 1e-12)}


@pytest.mark.parametrize("integration", ["grid", "quad"])
@pytest.mark.parametrize("case", dfcrm_cases("crm.json"))
def test_crm_matches_dfcrm(case: dict[str, Any], integration: Integration) -> None:
    inputs, output = case["inputs"], case["output"]
    data = CrmData.from_subjects(
        len(inputs["prior"]),
        [level - 1 for level in as_list(inputs["level"])],
        [bool(y) for y in as_list(inputs["tox"])],
    )
    fit = fit_crm(
        model_of(inputs),
        data,
        estimation=inputs.get("method", "bayes"),
        conf_level=inputs.get("conf.level", 0.90),
        integration=integration,
    )
    assert_fit_matches(fit, output, *TOLERANCE[integration], case["call"])
    assert compute_closest_dose(fit.p_tox, inputs["target"]) + 1 == output["mtd"], case["call"]


@pytest.mark.parametrize("integration", ["grid", "quad"])
@pytest.mark.parametrize("case", dfcrm_cases("titecrm.json"))
def test_titecrm_matches_dfcrm(case: dict[str, Any], integration: Integration) -> None:
    inputs, output = case["inputs"], case["output"]
    dlt = [bool(y) for y in inputs["tox"]]
    weights = compute_tite_weights(
        inputs["followup"], dlt, inputs["obswin"], inputs.get("scheme", "linear")
    )
    assert weights == pytest.approx(output["weights"], abs=1e-12), case["call"]
    data = CrmData.from_subjects(
        len(inputs["prior"]), [level - 1 for level in inputs["level"]], dlt, weights
    )
    fit = fit_crm(
        model_of(inputs), data, estimation=inputs.get("method", "bayes"), integration=integration
    )
    assert_fit_matches(fit, output, *TOLERANCE[integration], case["call"])
    assert compute_closest_dose(fit.p_tox, inputs["target"]) + 1 == output["mtd"], case["call"]


@pytest.mark.parametrize("case", dfcrm_cases("crmsim.json"))
def test_design_replays_a_dfcrm_trial_decision_by_decision(case: dict[str, Any]) -> None:
    # dfcrm's crmsim(nsim = 1) records each subject's level and DLT and the posterior mean of β
    # before each subject; replaying its outcomes must give the same levels, β's and MTD.
    inputs, output = case["inputs"], case["output"]
    design = CrmDesign(LADDER, inputs["prior"], inputs["target"], max_n=inputs["n"])
    history = [
        SubjectOutcome(level, bool(y))
        for level, y in zip(output["level"], output["tox"], strict=True)
    ]
    for n, (level, beta) in enumerate(zip(output["level"], output["beta.hat"], strict=True)):
        decision = design.decide(history[:n])
        assert decision.next_level == level, (n, case["call"])
        assert decision.fit is not None
        assert decision.fit.estimate == pytest.approx(beta, abs=1e-6), (n, case["call"])
    final = design.decide(history)
    assert (final.stop, final.mtd, final.rule) == (True, output["MTD"], "crm.stop_max_n")


# --- published facts, without R --------------------------------------------------------------


@given(models)
def test_posterior_of_no_data_is_the_prior(model: CrmModel) -> None:
    # β ~ N(0, prior_var), and both models give p_i(0) = s_i (O'Quigley et al. 1990; dfcrm).
    posterior = compute_posterior(model, CrmData.from_subjects(len(model.skeleton), [], []))
    assert posterior.mean == pytest.approx(0.0, abs=1e-12)
    assert posterior.variance == pytest.approx(model.prior_var, rel=1e-9)
    assert compute_toxicity(model, 0.0) == pytest.approx(model.skeleton, rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(model_and_data(), st.floats(0.05, 0.6))
def test_grid_agrees_with_tight_quadpack_or_hands_over_to_dfcrms_quadrature(
    model_data: tuple[CrmModel, CrmData], threshold: float
) -> None:
    model, data = model_data
    grid = compute_posterior(model, data)
    tight = {"epsrel": 1e-13, "limit": 400}
    with (
        mock.patch.dict(numerics.R_QUAD, tight),
        mock.patch.object(numerics, "TAIL_EPSREL", 1e-13),
    ):
        exact = compute_posterior(model, data, "quad")
        exact_tail = exact.prob_above(0, threshold)
    assert grid.prob_above(0, threshold) == pytest.approx(exact_tail, abs=1e-9)
    if grid.integration == "quad":  # the grid declined: the numbers are dfcrm's, R's tolerances
        assert grid == compute_posterior(model, data, "quad")
        return
    assert grid.mean == pytest.approx(exact.mean, rel=1e-9, abs=1e-10)
    assert grid.variance == pytest.approx(exact.variance, rel=1e-9)


@given(
    st.lists(st.tuples(st.booleans(), st.none() | st.floats(0.0, 20.0)), max_size=12),
    st.sampled_from(["linear", "adaptive"]),
)
def test_tite_weights_lie_in_0_1_and_are_1_when_complete_or_toxic(
    subjects: list[tuple[bool, float | None]], scheme: str
) -> None:
    dlt = [toxic for toxic, _ in subjects]
    # a DLT subject's follow-up is the day of its DLT, inside the window
    followup = [min(14.0, days or 14.0) if toxic else days for toxic, days in subjects]
    weights = compute_tite_weights(followup, dlt, 14.0, scheme)  # type: ignore[arg-type]
    for toxic, days, weight in zip(dlt, followup, weights, strict=True):
        assert 0.0 <= weight <= 1.0
        if toxic or days is None or days >= 14.0:
            assert weight == 1.0
        elif scheme == "linear":
            assert weight == pytest.approx(days / 14.0)


@given(
    st.lists(st.floats(0.5, 14.0), min_size=1, max_size=4),
    st.lists(st.floats(0.0, 14.0), min_size=2),
)
def test_adaptive_weights_rise_with_follow_up(dlt_days: list[float], pending: list[float]) -> None:
    # Cheung & Chappell 2000: the weight is an estimate of P(DLT by now | DLT in the window).
    pending = sorted(pending)
    followup = [*dlt_days, *pending]
    dlt = [True] * len(dlt_days) + [False] * len(pending)
    weights = compute_tite_weights(followup, dlt, 14.0, "adaptive")[len(dlt_days) :]
    assert all(a <= b + 1e-12 for a, b in itertools.pairwise(weights))


def test_mle_needs_a_dlt_and_a_subject_without() -> None:
    data = CrmData.from_subjects(6, [0, 0, 0], [False, False, False])
    with pytest.raises(DesignInputError, match="the MLE does not exist") as caught:
        fit_crm(CrmModel(SKELETON), data, estimation="mle")
    assert (caught.value.argument, caught.value.value) == ("estimation", "mle")


# --- the design's rules -----------------------------------------------------------------------


def design(**options: Any) -> CrmDesign:
    return CrmDesign(
        LADDER, SKELETON, options.pop("target", 0.2), max_n=options.pop("max_n", 24), **options
    )


@pytest.mark.parametrize(
    ("options", "outcomes", "level", "rule"),
    [
        ({}, "", 1, "crm.start"),
        ({"start": 2}, "", 2, "crm.start"),
        ({"cohort_size": 3}, "1NNN", 2, "crm.no_skip"),
        ({"cohort_size": 3, "no_skip": False}, "1NNN", 4, "crm.model_recommends"),
        ({"cohort_size": 3}, "1NNN 2NNT", 2, "crm.model_recommends"),
        ({"cohort_size": 3, "target": 0.3}, "1NNN 2NNN 3NNN 3NNT", 3, "crm.coherence"),
        (
            {"cohort_size": 3, "target": 0.3, "coherence": False},
            "1NNN 2NNN 3NNN 3NNT",
            4,
            "crm.model_recommends",
        ),
        ({"target": 0.3}, "1N 1N 1N 1N 1N 1N 1N 1N 2T", 2, "crm.coherence"),
    ],
)
def test_each_rule_names_itself_when_it_sets_the_level(
    options: dict[str, Any], outcomes: str, level: int, rule: str
) -> None:
    decision = design(**options).decide(parse_outcomes(outcomes))
    assert (decision.next_level, decision.rule) == (level, rule)


def test_reasons_read_as_sentences() -> None:
    no_skip = design(cohort_size=3).decide(parse_outcomes("1NNN"))
    assert no_skip.reason == (
        "Treat at level 2: one above the highest level tried, 1; no level is skipped. In the model,"
        " level 4 is the closest to the target 0.2 (estimated DLT probability 0.174, 90% interval"
        " 0.000 to 0.675)."
    )
    coherence = design(cohort_size=3, target=0.3).decide(parse_outcomes("1NNN 2NNN 3NNN 3NNT"))
    assert coherence.reason.startswith(
        "Treat at level 3: the last cohort had a DLT, so no escalation."
    )


def test_safety_stop_names_the_probability_and_selects_no_mtd() -> None:
    decision = design(safety_cutoff=0.9).decide(parse_outcomes("1TTT 1NTT"))
    assert (decision.stop, decision.mtd, decision.rule) == (True, None, "crm.safety_stop")
    assert "is 0.998, above the safety cutoff 0.9" in decision.reason


def test_max_n_stops_with_the_model_mtd() -> None:
    decision = design(max_n=6, cohort_size=3).decide(parse_outcomes("1NNN 2NNT"))
    assert (decision.stop, decision.mtd, decision.rule) == (True, 2, "crm.stop_max_n")


def test_tite_crm_weighs_pending_subjects_and_waits_for_them_at_max_n() -> None:
    tite = design(window_days=14.0, max_n=4)
    pending = [SubjectOutcome(1, dlt=False), SubjectOutcome(2, dlt=False, followup_days=3.0)]
    assert tite.name == "TITE-CRM"
    assert design().name == "CRM"
    plain_fit = design().decide(pending).fit
    tite_fit = tite.decide(pending).fit
    assert plain_fit is not None
    assert tite_fit is not None
    assert tite_fit.estimate < plain_fit.estimate  # less reassurance from 3 of 14 days
    last = tite.decide([*pending, SubjectOutcome(2, dlt=False), SubjectOutcome(2, dlt=True)])
    assert (last.stop, last.mtd, last.rule) == (True, None, "crm.stop_max_n")
    assert "1 still inside the DLT window" in last.reason


def test_mle_design_uses_dfcrms_vague_prior_until_the_mle_exists() -> None:
    decision = design(estimation="mle").decide(parse_outcomes("1N 2N"))
    assert decision.next_level == 3
    assert "vague N(0, 500²) prior" in decision.reason


@settings(deadline=None)
@given(trials())
def test_every_decision_explains_itself_and_keeps_the_restrictions(trial: Trial) -> None:
    design_, steps = trial
    labels = design_.ladder.labels
    for history, decision in steps:
        assert decision.rule.startswith("crm.")
        assert decision.reason
        assert decision.fit is not None
        assert decision.stop == (decision.next_level is None)
        assert decision.mtd is None or decision.mtd in labels
        if decision.stop:
            assert decision.rule in {"crm.safety_stop", "crm.stop_max_n"}
            continue
        position = labels.index(decision.next_level)
        if not history:
            assert decision.next_level == design_.start
            continue
        tried = [labels.index(s.level) for s in history]
        if design_.no_skip:
            assert position <= max(tried) + 1
        if design_.coherence and any(s.dlt for s in history[-design_.cohort_size :]):
            assert position <= tried[-1]
        if decision.rule == "crm.model_recommends":
            assert position == compute_closest_dose(decision.fit.p_tox, design_.target)
    history, last = steps[-1]
    assert design_.decide(history) == last


# --- refused input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "argument", "value"),
    [
        (lambda: CrmModel((0.1, 0.1, 0.3)), "skeleton", (0.1, 0.1, 0.3)),
        (lambda: CrmModel((0.3, 0.2)), "skeleton", (0.3, 0.2)),
        (lambda: CrmModel((0.0, 0.2)), "skeleton", (0.0, 0.2)),
        (lambda: CrmModel((0.2, 1.0)), "skeleton", (0.2, 1.0)),
        (lambda: CrmModel((0.2, 0.3), prior_var=0.0), "prior_var", 0.0),
        (lambda: CrmModel((0.2, 0.3), prior_var=-1.0), "prior_var", -1.0),
        (lambda: CrmModel((0.2, 0.3), "probit"), "model", "probit"),  # type: ignore[arg-type]
        (lambda: CrmModel((0.2, 0.97), "logistic"), "intercept", 3.0),
        (lambda: design(target=1.2), "target", 1.2),
        (lambda: design(target=0.0), "target", 0.0),
        (lambda: design(prior_var=0.0), "prior_var", 0.0),
        (lambda: design(conf_level=1.0), "conf_level", 1.0),
        (lambda: design(safety_cutoff=1.5), "safety_cutoff", 1.5),
        (lambda: design(max_n=0), "max_n", 0),
        (lambda: design(window_days=0.0), "window_days", 0.0),
        (lambda: design(window_days=-14.0), "window_days", -14.0),
        (lambda: design(scheme="adaptive"), "scheme", "adaptive"),
        (lambda: design(start=7), "level", 7),
        (lambda: CrmDesign(LADDER, (0.1, 0.2), 0.2, max_n=6), "skeleton", (0.1, 0.2)),
        (
            lambda: design().decide([SubjectOutcome(1, dlt=False, followup_days=-1.0)]),
            "followup_days",
            -1.0,
        ),
        (
            lambda: design(window_days=14.0).decide(
                [SubjectOutcome(1, dlt=False, followup_days=-2.0)]
            ),
            "followup_days",
            -2.0,
        ),
        (lambda: compute_tite_weights([1.0], [False], 0.0), "window_days", 0.0),
        (
            lambda: compute_tite_weights([None, 3.0], [True, False], 14.0, "adaptive"),
            "followup_days",
            None,
        ),
        (lambda: design().decide(parse_outcomes("0N")), "level", 0),
        (lambda: CrmData((1,), (0, 1)), "data", ((1,), (0, 1))),
        (lambda: CrmData((0, 0), (0, 0), ((2, 0.5),)), "partial", (2, 0.5)),
        (lambda: CrmData((0, 0), (0, 0), ((0, 1.5),)), "partial", (0, 1.5)),
        (lambda: CrmData.from_subjects(2, [2], [False]), "levels", 2),
        (lambda: CrmData.from_subjects(2, [1], [False], [1.2]), "weights", 1.2),
        (lambda: fit_crm(CrmModel(SKELETON), CrmData((0,), (1,))), "data", CrmData((0,), (1,))),
        (
            lambda: fit_crm(CrmModel(SKELETON), CrmData((0,) * 6, (1,) * 6), conf_level=0.0),
            "conf_level",
            0.0,
        ),
        (lambda: compute_tite_weights([1.0], [], 14.0), "followup", [1.0]),
        (
            lambda: compute_tite_weights([20.0, 3.0], [True, False], 14.0, "adaptive"),
            "followup_days",
            20.0,
        ),
    ],
)
def test_bad_input_is_refused_naming_argument_and_value(
    make: Any, argument: str, value: object
) -> None:
    with pytest.raises(DesignInputError) as caught:
        make()
    assert (caught.value.argument, caught.value.value) == (argument, value)
    assert f"argument `{argument}` got {value!r}" in str(caught.value)


def test_probabilities_stay_monotone_in_dose_whatever_beta() -> None:
    for model in (CrmModel(SKELETON), CrmModel(SKELETON, "logistic")):
        for beta in np.linspace(-3, 3, 25):
            p = compute_toxicity(model, float(beta))
            assert all(a < b for a, b in itertools.pairwise(p))
