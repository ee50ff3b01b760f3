"""BOIN: boundaries against published tables, the package's trial conventions, select.mtd."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialdesk.design import DoseLadder, parse_outcomes
from trialdesk.design.boin import Boin, boin_boundaries, boin_table
from trialdesk.design.isotonic import (
    OverdoseRule,
    SelectOptions,
    pava,
    prob_above_target,
    select_mtd_boin,
)
from trialdesk.errors import DesignInputError

# --- strategies -------------------------------------------------------------------------------

estimates = st.lists(st.floats(0, 1), min_size=1, max_size=8)
positive_weights = st.floats(0.01, 100)
# Per-dose (n, y) with y <= n.
dose_counts = st.lists(
    st.integers(0, 12).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
    min_size=1,
    max_size=6,
)

FIVE = DoseLadder((1, 2, 3, 4, 5))


def counts_row(target: float, n_max: int) -> list[tuple[int | None, int | None, int | None]]:
    return [
        (b.escalate_at_most, b.deescalate_at_least, b.eliminate_at_least)
        for b in boin_table(target, n_max).boundaries()
    ]


# --- boundaries -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "lambda_e", "lambda_d"),
    [
        # Liu & Yuan (2015) / Yuan et al. (2016, Clin Cancer Res 22:4291) Table 1, three decimals
        # (phi1 = 0.6 phi, phi2 = 1.4 phi); 0.20 and 0.25 checked by hand with the closed form:
        # 0.20: log(0.88/0.80)/log(0.176/0.096) = 0.09531/0.60614 = 0.1572;
        #       log(0.80/0.72)/log(0.224/0.144) = 0.10536/0.44183 = 0.2385.
        (0.20, 0.157, 0.238),
        # 0.25: log(0.85/0.75)/log(0.2125/0.1125) = 0.12516/0.63599 = 0.1968;
        #       log(0.75/0.65)/log(0.2625/0.1625) = 0.14310/0.47957 = 0.2984.
        (0.25, 0.197, 0.298),
        # BOIN get.boundary(target = 0.3, ncohort = 10, cohortsize = 3): $lambda_e 0.2364907,
        # $lambda_d 0.3585195 (printed in the RPubs transcript
        # https://rstudio-pubs-static.s3.amazonaws.com/1437814_79ba5accbdfc4c6aaed63b046a781eab.html).
        (0.30, 0.2364907, 0.3585195),
    ],
)
def test_boundaries_match_the_published_decimals(
    target: float, lambda_e: float, lambda_d: float
) -> None:
    places = len(str(lambda_e).split(".")[1])
    got_e, got_d = boin_boundaries(target)
    assert (round(got_e, places), round(got_d, places)) == (lambda_e, lambda_d)


def test_target_030_counts_match_get_boundary() -> None:
    # get.boundary(target = 0.3, ncohort = 10, cohortsize = 3)$full_boundary_tab, n = 1..20, from
    # the RPubs transcript above (elimination NA for n < 3); its $boundary_tab (n = 3, 6, ..., 30)
    # is also the BOIN protocol template's Table 1 (docsbay.net/template-for-protocol-preparation).
    escalate = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4]
    deescalate = [1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 6, 6, 6, 7, 7, 7, 8]
    eliminate = [None, None, 3, 3, 4, 4, 5, 5, 5, 6, 6, 7, 7, 8, 8, 8, 9, 9, 9, 10]
    assert counts_row(0.3, 20) == list(zip(escalate, deescalate, eliminate, strict=True))
    # Same transcript, n = 21..30 (escalate, de-escalate), and $boundary_tab's eliminations there.
    rows = counts_row(0.3, 30)[20:]
    assert [r[0] for r in rows] == [4, 5, 5, 5, 5, 6, 6, 6, 6, 7]
    assert [r[1] for r in rows] == [8, 8, 9, 9, 9, 10, 10, 11, 11, 11]
    assert [rows[i][2] for i in (0, 3, 6, 9)] == [10, 11, 12, 14]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        # Derived by hand from get.boundary's rules (no printed table found to quote):
        # escalate if y <= floor(0.1572 n); de-escalate if y >= ceil(0.2385 n), capped at the
        # elimination count; eliminate the smallest y with P(p > 0.2 | y, n) > 0.95, n >= 3, e.g.
        # n = 3, y = 2: 1 - P(Bin(4, 0.2) >= 3) = 1 - 0.0272 = 0.9728 (y = 1: 0.8192).
        (
            0.20,
            [(0, 1, None), (0, 1, None), (0, 1, 2), (0, 1, 3), (0, 2, 3), (0, 2, 3),
             (1, 2, 4), (1, 2, 4), (1, 3, 4), (1, 3, 5), (1, 3, 5), (1, 3, 5)],
        ),
        # floor(0.1968 n), ceil(0.2984 n); n = 3: y = 3 gives 1 - 0.25^4 = 0.996, y = 2 only 0.949.
        (
            0.25,
            [(0, 1, None), (0, 1, None), (0, 1, 3), (0, 2, 3), (0, 2, 3), (1, 2, 4),
             (1, 3, 4), (1, 3, 4), (1, 3, 5), (1, 3, 5), (2, 4, 6), (2, 4, 6)],
        ),
    ],
)  # fmt: skip
def test_counts_for_n_1_to_12(target: float, expected: list[tuple[int, int, int | None]]) -> None:
    assert counts_row(target, 12) == expected


def test_elimination_counts_use_the_beta_1_1_posterior() -> None:
    # BOIN get.boundary: 1 - pbeta(0.3, 4, 1) = 1 - 0.3^4 = 0.9919 for 3/3.
    assert prob_above_target(0.3, 3, 3) == pytest.approx(1 - 0.3**4)
    assert OverdoseRule().eliminates(0.3, 3, 3)
    assert not OverdoseRule().eliminates(0.3, 2, 2)  # n < 3 never eliminates


# --- the design -------------------------------------------------------------------------------


def test_published_trial_example() -> None:
    # The BOIN example trial reproduced in brockk/escalation tests/testthat/test_boin.R ("BOIN
    # recommendations match published example"): 5 doses, target 0.3, cohorts of 3; after each
    # cohort the recommended dose is 2, 3, 2, 3, 3, 4, 3, 3, 3 (4 eliminated by 3/3).
    cohorts = ["1NNN", "2NNN", "3NTT", "2NTN", "3NNN", "3NNN", "4TTT", "3NTN", "3NNT", "3TNN"]
    design = Boin(0.3, FIVE, max_cohorts=10)
    path = [design.decide(parse_outcomes(" ".join(cohorts[:k]))).next_level for k in range(1, 10)]
    assert path == [2, 3, 2, 3, 3, 4, 3, 3, 3]
    # After the 10th cohort n = (3, 6, 18, 3, 0), y = (0, 1, 5, 3, 0) (escalation's test): the trial
    # is full; estimates 0.016, 0.172, 5.05/18.1 = 0.279 for the admissible 1..3 -> MTD 3.
    final = design.decide(parse_outcomes(" ".join(cohorts)))
    assert (final.stop, final.mtd, final.rule) == (True, 3, "table.stop_max_n")
    assert [c.n for _, c in final.counts] == [3, 6, 18, 3, 0]


def test_extrasafe_stops_at_the_lowest_dose() -> None:
    # BOIN get.oc extrasafe: lowest dose, n >= 3, P(p1 > 0.3 | 2/3) = 0.9163 > 0.95 - 0.05.
    history = parse_outcomes("1NTT")
    decision = Boin(0.3, FIVE, 10, extrasafe=True).decide(history)
    assert (decision.stop, decision.mtd, decision.rule) == (True, None, "boin.extrasafe")
    assert Boin(0.3, FIVE, 10).decide(history).rule == "table.stay_at_lowest"


def test_extrasafe_is_checked_only_where_an_elimination_count_exists() -> None:
    # get.oc checks extrasafe inside `!is.na(b.elim[n[d]])`: at target 0.5, 3/3 gives
    # P(p > 0.5) = 1 - 0.5^4 = 0.9375, above 0.90 but not 0.95, so n = 3 has no elimination
    # count and the trial goes on (de-escalation impossible at the lowest dose: stay).
    decision = Boin(0.5, FIVE, 10, extrasafe=True).decide(parse_outcomes("1TTT"))
    assert (decision.next_level, decision.rule) == (1, "table.stay_at_lowest")


def test_early_stop_n_only_when_the_next_cohort_would_stay() -> None:
    # get.oc (2.7.2): stop when n[d] >= n.earlystop and the decision keeps d. 2/6 at level 2 stays
    # -> stop; estimates 0.016, 2.05/6.1 = 0.336 -> MTD 2. 0/6 at level 1 escalates -> go on.
    design = Boin(0.3, FIVE, 10, n_earlystop=6)
    stop = design.decide(parse_outcomes("1NNN 2NNT 2NTN"))
    assert (stop.stop, stop.mtd, stop.rule) == (True, 2, "boin.early_stop_n")
    go_on = design.decide(parse_outcomes("1NNN 1NNN"))
    assert (go_on.next_level, go_on.rule) == (2, "table.escalate")


def test_eliminated_doses_are_never_revisited() -> None:
    design = Boin(0.3, FIVE, 10)
    assert design.decide(parse_outcomes("1NNN 2NNN 3TTT")).next_level == 2
    # 0/6 at level 2 would escalate, but 3 and above are gone.
    decision = design.decide(parse_outcomes("1NNN 2NNN 3TTT 2NNN"))
    assert (decision.next_level, decision.rule) == (2, "table.stay_at_highest")


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"target": 0.0}, "target"),
        ({"target": 1.2}, "target"),
        ({"target": 0.03}, "target"),  # get.boundary: "the target is too low!"
        ({"p_saf": 0.3}, "p_saf"),
        ({"p_saf": 0.29}, "p_saf"),  # within 10 % of the target: refused by get.boundary
        ({"p_tox": 0.3}, "p_tox"),
        ({"p_tox": 0.25}, "p_tox"),
        ({"cohort_size": 0}, "cohort_size"),
        ({"max_cohorts": 0}, "max_cohorts"),
        ({"offset": 0.5}, "offset"),
        ({"n_earlystop": 0}, "n_earlystop"),
        ({"cutoff_eli": 1.0}, "cutoff_eli"),
        ({"titration": True, "max_cohorts": 2}, "titration"),
    ],
)
def test_bad_input_is_refused_by_name(kwargs: dict[str, object], argument: str) -> None:
    options: dict[str, object] = {"target": 0.3, "ladder": FIVE, "max_cohorts": 10} | kwargs
    with pytest.raises(DesignInputError, match=f"argument `{argument}`"):
        Boin(**options)  # type: ignore[arg-type]


def test_titration_refusal_says_why() -> None:
    # 5 levels titrated one subject each, then 2 more at the top: 7 > 2 cohorts of 3.
    with pytest.raises(DesignInputError) as caught:
        Boin(0.3, FIVE, 2, titration=True)
    assert "max_cohorts x cohort_size >= 7" in str(caught.value)


def _decide(design: Boin, outcomes: str) -> tuple[object, str, int | None]:
    decision = design.decide(parse_outcomes(outcomes) if outcomes else ())
    return decision.next_level, decision.rule, decision.next_cohort_size


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ("", (1, "boin.titration_start", 1)),
        ("1N", (2, "boin.titration_escalate", 1)),
        ("1N 2N 3N", (4, "boin.titration_escalate", 1)),
        ("1T", (1, "boin.titration_complete", 2)),
        ("1N 2N 3T", (3, "boin.titration_complete", 2)),
        ("1N 2N 3N 4N 5N", (5, "boin.titration_complete", 2)),
        # After the cohort is complete the table decides: 1/3 at target 0.3 stays
        # (lambda_e = 0.236, lambda_d = 0.359), 0/3 escalates, in cohorts of 3.
        ("1N 2N 3TNN", (3, "table.stay", None)),
        ("1N 2TNN 2NNN", (3, "table.escalate", None)),
    ],
)
def test_titration_goes_one_subject_per_level_until_the_first_dlt(
    outcomes: str, expected: tuple[object, str, int | None]
) -> None:
    # BOIN 2.7.2 get.oc(titration = TRUE): one subject per dose until the first DLT or the
    # highest dose, then cohortsize - 1 more at that dose, then cohorts of cohortsize.
    assert _decide(Boin(0.3, FIVE, 10, titration=True), outcomes) == expected


def test_titration_cuts_the_last_cohort_at_the_maximum_sample_size() -> None:
    three = Boin(0.3, DoseLadder((1, 2, 3)), 2, titration=True)
    # 1 + 1 + 2 = 4 treated of the 6 allowed: the next cohort has 2 subjects, not 3.
    assert _decide(three, "1N 2TNN") == (2, "table.stay", 2)
    assert three.decide(parse_outcomes("1N 2TNN 2NN")).rule == "table.stop_max_n"


def test_titration_is_off_for_cohorts_of_one() -> None:
    # get.oc: `if (cohortsize == 1) titration = FALSE`.
    single = Boin(0.3, FIVE, 30, cohort_size=1, titration=True)
    assert _decide(single, "") == (1, "table.start", None)


# --- PAVA and select.mtd ----------------------------------------------------------------------


@given(estimates, st.data())
def test_pava_is_monotone_and_keeps_the_weighted_mean(
    values: list[float], data: st.DataObject
) -> None:
    weights = data.draw(st.lists(positive_weights, min_size=len(values), max_size=len(values)))
    fitted = pava(values, weights)
    assert all(a <= b + 1e-12 for a, b in itertools.pairwise(fitted))
    total = sum(weights)
    assert sum(f * w for f, w in zip(fitted, weights, strict=True)) / total == pytest.approx(
        sum(v * w for v, w in zip(values, weights, strict=True)) / total
    )


def test_pava_pools_adjacent_violators() -> None:
    # Barlow et al. (1972): (1, 3, 2) with equal weights pools 3 and 2 into 2.5.
    assert pava([1.0, 3.0, 2.0]) == (1.0, 2.5, 2.5)


@pytest.mark.parametrize(
    ("n", "y", "options", "mtd"),
    [
        # select.mtd by hand (target 0.3). phat = (y + 0.05)/(n + 0.1); then + i * 1e-10.
        # Tie below the target: 0/3, 0/3 both 0.0161; the 2nd gets the larger nudge, so it is
        # closer to 0.3 -> the higher dose, 2 (the untreated 3rd dose is left out).
        ((3, 3, 0), (0, 0, 0), None, 2),
        # Tie above the target: 2/3, 2/3 both 0.6613; the 1st is closer after the nudge -> 1.
        ((3, 3), (2, 2), None, 1),
        # A tie made by PAVA: 2/3 = 0.6613 (var 0.05463) then 1/6 = 0.1721 (var 0.02007) violate;
        # pooled with weights 1/var: (0.6613 * 18.305 + 0.1721 * 49.823)/68.128 = 0.3036 > 0.3,
        # so the lower dose wins -> 1.
        ((3, 6), (2, 1), None, 1),
        # 3/3 at dose 3 (P(p > 0.3) = 0.992) eliminates 3; 0.0161 and 0.1721 remain -> 2.
        ((3, 6, 3), (0, 1, 3), None, 2),
        # 3/3 at dose 2 eliminates 2 and 3 although 3 saw 0/3 -> 1.
        ((3, 3, 3), (0, 3, 0), None, 1),
        # Untreated dose 2 skipped: 0.0161 and 1.05/3.1 = 0.3387 -> 3.
        ((3, 0, 3), (0, 0, 1), None, 3),
        # 2.05/10.1 = 0.2030 and 4.05/11.1 = 0.3649: 0.3649 is closer (0.065 < 0.097) -> 2 ...
        ((10, 11), (2, 4), None, 2),
        # ... but with boundMTD it exceeds lambda_d = 0.3585 -> 1.
        ((10, 11), (2, 4), SelectOptions(bound_mtd=True), 1),
        # boundMTD with every estimate above lambda_d: 0.6613 -> none.
        ((3,), (2,), SelectOptions(bound_mtd=True), None),
        # Lowest dose eliminated (3/3) -> none.
        ((3, 3), (3, 0), None, None),
        # extrasafe: P(p1 > 0.3 | 2/3) = 0.9163 > 0.90 -> every dose out -> none.
        ((3, 3), (2, 0), SelectOptions(extrasafe=True), None),
    ],
)
def test_select_mtd_by_hand(
    n: tuple[int, ...], y: tuple[int, ...], options: SelectOptions | None, mtd: int | None
) -> None:
    assert select_mtd_boin(0.3, n, y, options).mtd == mtd


def test_select_mtd_reports_estimates_and_reason() -> None:
    chosen = select_mtd_boin(0.3, (3, 6), (2, 1), labels=("low", "high"))
    assert chosen.mtd == "low"
    assert chosen.estimates == pytest.approx((0.30356, 0.30356), abs=1e-5)
    assert chosen.reason == "level low has the isotonic estimate 0.304, closest to the target 0.3"


def test_bound_mtd_uses_the_de_escalation_boundary() -> None:
    bound = boin_boundaries(0.3)[1]
    assert select_mtd_boin(0.3, (1,), (0,), SelectOptions(bound_mtd=True)).mtd == 1
    assert (
        f"{bound:.4f}"
        in select_mtd_boin(0.3, (3,), (3,), SelectOptions(bound_mtd=True, cutoff_eli=0.999)).reason
    )


@given(dose_counts)
def test_selected_dose_is_treated_and_admissible(counts: list[tuple[int, int]]) -> None:
    n, y = [c[0] for c in counts], [c[1] for c in counts]
    chosen = select_mtd_boin(0.3, n, y)
    first_out = next(
        (i for i, (ni, yi) in enumerate(counts) if OverdoseRule().eliminates(0.3, ni, yi)), len(n)
    )
    if chosen.mtd is None:
        assert first_out == 0 or sum(n[:first_out]) == 0
    else:
        assert isinstance(chosen.mtd, int)
        index = chosen.mtd - 1
        assert n[index] > 0
        assert index < first_out
        assert chosen.estimates[index] is not None


@pytest.mark.parametrize(("n", "y", "argument"), [((3, 3), (1,), "n"), ((3,), (4,), r"y\[0\]")])
def test_select_mtd_refuses_bad_counts(
    n: tuple[int, ...], y: tuple[int, ...], argument: str
) -> None:
    with pytest.raises(DesignInputError, match=f"argument `{argument}`"):
        select_mtd_boin(0.3, n, y)
