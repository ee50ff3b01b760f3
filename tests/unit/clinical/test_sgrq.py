"""SGRQ scoring (manual 2.3): weights, extremes, hand-worked cases, missing items, Q5/Q6 skip.

Hand-worked expectations are written as the manual's formula with the weights
of ``trialdesk.clinical.sgrq_weights`` (SGRQ manual 2.3, section 7), so a reader
can redo each one on paper.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialdesk.clinical.sgrq import (
    NOT_APPLICABLE,
    SgrqInputError,
    compute_sgrq,
    parse_sgrq_responses,
)
from trialdesk.clinical.sgrq_weights import (
    COMPONENT_MAXIMA,
    MAX_MISSING,
    SGRQ_ITEMS,
    TOTAL_MAXIMUM,
    Component,
)

HAND_WORKED = Path(__file__).resolve().parents[2] / "data" / "sgrq" / "hand_worked.json"
TRUE_FALSE = [item_id for item_id, item in SGRQ_ITEMS.items() if item.codes == (0, 1)]


def _worst() -> dict[str, object]:
    return {item.item_id: max(item.codes, key=item.weight_of) for item in SGRQ_ITEMS.values()}


def _best() -> dict[str, object]:
    """No impairment: every zero-weight code; Q5 = no attacks so Q6 is skipped."""
    best: dict[str, object] = {
        item.item_id: min(item.codes, key=item.weight_of) for item in SGRQ_ITEMS.values()
    }
    best["q6"] = NOT_APPLICABLE
    return best


def _ids(component: Component) -> list[str]:
    return [i for i, item in SGRQ_ITEMS.items() if item.component is component and i != "q6"]


# --- the weight table -----------------------------------------------------------------


def test_the_table_has_the_50_items_in_their_components() -> None:
    counts = {c: sum(item.component is c for item in SGRQ_ITEMS.values()) for c in Component}
    assert counts == {Component.SYMPTOMS: 8, Component.ACTIVITY: 16, Component.IMPACTS: 26}


@pytest.mark.parametrize("component", list(Component))
def test_each_component_maximum_is_the_sum_of_its_largest_weights(component: Component) -> None:
    # Manual 2.3 section 8: Symptoms 662.5, Activity 1209.1, Impacts 2117.8.
    largest = [item.max_weight for item in SGRQ_ITEMS.values() if item.component is component]
    assert math.fsum(largest) == pytest.approx(COMPONENT_MAXIMA[component], abs=1e-9)


def test_the_total_maximum_is_the_sum_of_every_largest_weight() -> None:
    # Manual 2.3 section 8: 3989.4 = 662.5 + 1209.1 + 2117.8.
    assert math.fsum(item.max_weight for item in SGRQ_ITEMS.values()) == pytest.approx(
        TOTAL_MAXIMUM, abs=1e-9
    )
    assert math.fsum(COMPONENT_MAXIMA.values()) == pytest.approx(TOTAL_MAXIMUM, abs=1e-9)


@pytest.mark.parametrize(
    ("item_id", "code", "weight"),
    [
        ("q11g", 1, 72.1),  # 72.0 in USR-DAPCAT/StGeorge would make Activity 1209.0
        ("q13h", 1, 84.5),  # 84.4 in nrkoehler/sgrqr would make Impacts 2117.7
        ("q5", 4, 44.2),  # 44.4 in nrkoehler/sgrqr; three sources agree on 44.2
        ("q9", 3, 34.6),  # 34.5 in giulianoconti/SGRQ; three sources agree on 34.6
    ],
)
def test_the_disputed_weights_take_the_resolved_values(
    item_id: str, code: int, weight: float
) -> None:
    assert SGRQ_ITEMS[item_id].weight_of(code) == weight


# --- extremes -------------------------------------------------------------------------


def test_the_worst_state_scores_100_everywhere() -> None:
    score = compute_sgrq(_worst())
    assert (score.symptoms, score.activity, score.impacts, score.total) == (100, 100, 100, 100)
    assert score.missing == {"symptoms": 0, "activity": 0, "impacts": 0}
    assert (score.algorithm, score.version) == ("SGRQ", "manual 2.3")


def test_the_best_state_scores_0_everywhere() -> None:
    score = compute_sgrq(_best())
    assert (score.symptoms, score.activity, score.impacts, score.total) == (0, 0, 0, 0)
    assert score.reasons == {}


# --- hand-worked cases ----------------------------------------------------------------


def test_the_hand_worked_file_scores_as_computed_by_hand() -> None:
    score = compute_sgrq(json.loads(HAND_WORKED.read_text(encoding="utf-8")))
    # Symptoms: Q1=1 80.6 + Q3=2 71.4 + Q5=4 44.2 + Q6=4 41.9 + Q7=3 61.5 = 299.6 of 662.5
    assert score.symptoms == pytest.approx(100 * 299.6 / 662.5)  # 45.2226
    # Activity: Q11b 82.8 + Q11e 76.1 + Q11g 72.1 + Q15c 71.7 + Q15f 72.3 = 375.0 of 1209.1
    assert score.activity == pytest.approx(100 * 375.0 / 1209.1)  # 31.0148
    # Impacts: Q9=3 34.6 + Q10=3 0 + Q12e 87.9 + Q13d 90.1 + Q17=2 42.0 = 254.6 of 2117.8
    assert score.impacts == pytest.approx(100 * 254.6 / 2117.8)  # 12.0219
    # Total: 299.6 + 375.0 + 254.6 = 929.2 of 3989.4
    assert score.total == pytest.approx(100 * 929.2 / 3989.4)  # 23.2917


def test_missing_items_leave_the_denominator() -> None:
    responses = _best() | {"q1": 1, "q2": None, "q3": 1, "q4": 2, "q7": 5}
    del responses["q8"]
    score = compute_sgrq(responses)
    # Q2 (76.8) and Q8 (62.0) missing, Q6 (89.7) skipped: 662.5 - 76.8 - 62.0 - 89.7 = 434.0
    # weights: Q1=1 80.6 + Q3=1 87.2 + Q4=2 71.0 = 238.8
    assert score.symptoms == pytest.approx(100 * 238.8 / 434.0)  # 55.0230
    assert score.missing["symptoms"] == 2
    # Total: 238.8 of 3989.4 - 76.8 - 62.0 - 89.7 = 3760.9
    assert score.total == pytest.approx(100 * 238.8 / 3760.9)


# --- missing-item thresholds ----------------------------------------------------------


@pytest.mark.parametrize("component", list(Component))
def test_a_component_is_scored_at_its_missing_limit_and_not_one_beyond(
    component: Component,
) -> None:
    limit = MAX_MISSING[component]  # 2 Symptoms, 4 Activity, 6 Impacts
    ids = _ids(component)
    at_limit = compute_sgrq(_worst() | dict.fromkeys(ids[:limit]))
    beyond = compute_sgrq(_worst() | dict.fromkeys(ids[: limit + 1]))
    part = list(Component).index(component)
    assert at_limit.components[part].score == pytest.approx(100)
    assert at_limit.total == pytest.approx(100)
    assert beyond.components[part].score is None
    assert beyond.components[part].missing == limit + 1
    assert beyond.reasons[component.value] == (
        f"{limit + 1} items missing; the manual allows at most {limit}"
    )
    assert beyond.total is None
    assert "the Total needs all three components" in beyond.reasons["total"]


def test_the_other_components_are_scored_when_one_is_not() -> None:
    score = compute_sgrq(_worst() | dict.fromkeys(_ids(Component.ACTIVITY)))
    assert (score.symptoms, score.activity, score.impacts) == (100, None, 100)
    assert score.missing == {"symptoms": 0, "activity": 16, "impacts": 0}


# --- Q5 / Q6 skip ---------------------------------------------------------------------


@pytest.mark.parametrize("q6", [NOT_APPLICABLE, None, "absent"])
def test_q6_is_skipped_not_missing_when_q5_says_no_attacks(q6: str | None) -> None:
    responses = _worst() | {"q5": 5, "q6": q6}
    if q6 == "absent":
        del responses["q6"]
    score = compute_sgrq(responses)
    # 662.5 - Q5's 86.7 (now 0) stays in; Q6's 89.7 leaves: weights 662.5-86.7-89.7 of 572.8
    assert score.symptoms == pytest.approx(100 * (662.5 - 86.7 - 89.7) / (662.5 - 89.7))
    assert score.missing["symptoms"] == 0
    assert score.q6_skipped


def test_a_skipped_q6_does_not_use_up_the_missing_allowance() -> None:
    score = compute_sgrq(_best() | {"q1": None, "q2": None})
    assert score.symptoms == 0
    assert score.missing["symptoms"] == 2


def test_q6_unanswered_after_attacks_is_missing() -> None:
    score = compute_sgrq(_worst() | {"q6": None})
    assert score.missing["symptoms"] == 1
    assert not score.q6_skipped
    assert score.components[0].possible == pytest.approx(662.5 - 89.7)


def test_q6_na_with_q5_missing_counts_both_as_missing() -> None:
    score = compute_sgrq(_worst() | {"q5": None, "q6": NOT_APPLICABLE})
    assert score.missing["symptoms"] == 2


@pytest.mark.parametrize(
    ("q5", "q6", "expected"),
    [
        (5, 1, '"NA" or null when q5 = 5 (no attacks)'),
        (2, NOT_APPLICABLE, "a code in {1, 2, 3, 4} or null when q5 = 2"),
    ],
)
def test_a_q6_that_contradicts_q5_is_refused(q5: int, q6: object, expected: str) -> None:
    with pytest.raises(SgrqInputError, match="argument `q6`") as caught:
        parse_sgrq_responses(_worst() | {"q5": q5, "q6": q6})
    assert str(caught.value).endswith(expected)


# --- invalid input --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item_id", "value"),
    [
        ("q1", 0),
        ("q1", 6),
        ("q6", 5),
        ("q8", 2),
        ("q10", 4),
        ("q17", 0),
        ("q11a", 2),
        ("q16e", -1),
        ("q2", "1"),
        ("q3", 1.0),
        ("q12a", True),
        ("q9", NOT_APPLICABLE),
    ],
)
def test_an_invalid_code_is_refused_naming_the_item(item_id: str, value: object) -> None:
    with pytest.raises(SgrqInputError) as caught:
        compute_sgrq(_worst() | {item_id: value})
    assert caught.value.argument == item_id
    assert str(caught.value).startswith(f"argument `{item_id}` got {value!r}; expected ")


def test_an_unknown_item_id_is_refused() -> None:
    with pytest.raises(SgrqInputError, match=r"argument `q18` got 1; expected one of the SGRQ"):
        compute_sgrq({"q18": 1})


def test_the_invalid_code_message_lists_the_codes() -> None:
    with pytest.raises(SgrqInputError) as caught:
        compute_sgrq({"q10": 9})
    assert (
        str(caught.value) == "argument `q10` got 9; expected an integer code in {1, 2, 3} or null"
    )


# --- properties -----------------------------------------------------------------------


@st.composite
def responses(draw: st.DrawFn) -> dict[str, object]:
    """Any valid set of responses: each item a valid code or missing; Q6 follows Q5."""
    drawn: dict[str, object] = {
        item_id: draw(st.none() | st.sampled_from(item.codes))
        for item_id, item in SGRQ_ITEMS.items()
    }
    if drawn["q5"] == 5:
        drawn["q6"] = draw(st.sampled_from([None, NOT_APPLICABLE]))
    return drawn


@given(responses())
def test_every_score_is_between_0_and_100(drawn: dict[str, object]) -> None:
    score = compute_sgrq(drawn)
    for value in (score.symptoms, score.activity, score.impacts, score.total):
        assert value is None or 0 <= value <= 100 + 1e-9


@given(responses(), st.sampled_from(TRUE_FALSE))
def test_a_positive_response_never_lowers_its_component(
    drawn: dict[str, object], item_id: str
) -> None:
    part = list(Component).index(SGRQ_ITEMS[item_id].component)
    before = compute_sgrq(drawn | {item_id: 0}).components[part].score
    after = compute_sgrq(drawn | {item_id: 1}).components[part].score
    assert (before is None) == (after is None)
    if before is not None and after is not None:
        assert after >= before - 1e-9


@given(responses(), st.sampled_from(TRUE_FALSE))
def test_answering_a_missing_item_true_never_lowers_its_component(
    drawn: dict[str, object], item_id: str
) -> None:
    part = list(Component).index(SGRQ_ITEMS[item_id].component)
    before = compute_sgrq(drawn | {item_id: None}).components[part].score
    after = compute_sgrq(drawn | {item_id: 1}).components[part].score
    if before is not None:
        assert after is not None
        assert after >= before - 1e-9
