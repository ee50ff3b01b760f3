"""Rule wrappers: pass-through when silent, their own rule id when they override."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from scipy.stats import beta

from trialdesk.design import DoseLadder, parse_outcomes
from trialdesk.design.boin import Boin
from trialdesk.design.rules import DemandNAtDose, DontSkip, StopAtN, StopWhenTooToxic
from trialdesk.design.three_plus_three import ThreePlusThree
from trialdesk.errors import DesignInputError

THREE = DoseLadder((1, 2, 3))
BOIN = Boin(target=0.3, ladder=THREE, max_cohorts=10, cohort_size=3)


def test_stop_at_n_stops_with_the_designs_current_recommendation() -> None:
    history = parse_outcomes("1NNN 2NNN")
    assert BOIN.decide(history).next_level == 3
    decision = StopAtN(BOIN, n=6).decide(history)
    assert (decision.stop, decision.mtd, decision.rule) == (True, 3, "stop_at_n")
    assert "6 subjects treated" in decision.reason


def test_stop_at_n_passes_through_below_n() -> None:
    history = parse_outcomes("1NNN")
    assert StopAtN(BOIN, n=6).decide(history) == BOIN.decide(history)


def test_demand_n_at_dose_keeps_treating_a_thin_mtd() -> None:
    # 3+3 with expand_top = False declares a top dose with 0/3 the MTD at once.
    design = ThreePlusThree(THREE)
    history = parse_outcomes("1NNN 2NNN 3NNN")
    assert design.decide(history).mtd == 3
    decision = DemandNAtDose(design, n=6).decide(history)
    assert (decision.stop, decision.next_level, decision.rule) == (False, 3, "demand_n_at_dose")


def test_stop_when_too_toxic_stops_with_no_mtd() -> None:
    history = parse_outcomes("1TTN")
    # P(p > 0.3 | 2 DLTs of 3, Beta(1, 1) prior) = beta.sf(0.3, 3, 2) = 0.9163
    assert round(float(beta.sf(0.3, 3, 2)), 4) == 0.9163
    decision = StopWhenTooToxic(BOIN, level=1, threshold=0.3, confidence=0.9).decide(history)
    assert (decision.stop, decision.mtd, decision.rule) == (True, None, "stop_when_too_toxic")
    assert "0.916" in decision.reason
    silent = StopWhenTooToxic(BOIN, level=1, threshold=0.3, confidence=0.95).decide(history)
    assert silent == BOIN.decide(history)


def test_dont_skip_passes_through_a_design_that_never_skips() -> None:
    history = parse_outcomes("1NNN 2NNN")
    assert DontSkip(BOIN).decide(history) == BOIN.decide(history)


def test_repr_reads_as_the_rule_chain() -> None:
    chain = DontSkip(StopAtN(BOIN, n=24))
    assert repr(chain).startswith("dont_skip(stop_at_n(")
    assert repr(chain).endswith(", n=24))")
    assert chain.ladder == THREE
    assert chain.start == 1


@pytest.mark.parametrize(
    ("build", "argument"),
    [
        (lambda: StopAtN(BOIN, n=0), "n"),
        (lambda: DemandNAtDose(BOIN, n=0), "n"),
        (lambda: StopWhenTooToxic(BOIN, level=1, threshold=1.2, confidence=0.9), "threshold"),
        (lambda: StopWhenTooToxic(BOIN, level=9, threshold=0.3, confidence=0.9), "level"),
    ],
)
def test_bad_rule_arguments_are_refused_by_name(build: Callable[[], object], argument: str) -> None:
    with pytest.raises(DesignInputError, match=f"argument `{argument}`"):
        build()
