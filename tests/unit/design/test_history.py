"""The outcome notation and per-dose counts."""

from __future__ import annotations

from itertools import groupby

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import outcome_histories
from trialdesk.design import DoseCounts, DoseLadder, SubjectOutcome, count_by_dose, parse_outcomes
from trialdesk.design.history import format_outcomes
from trialdesk.errors import DesignInputError

SEED = DoseLadder((-1, 1, 2))


def test_notation_reads_cohorts_with_negative_labels() -> None:
    assert parse_outcomes("1NNT -1NN") == (
        SubjectOutcome(1, dlt=False),
        SubjectOutcome(1, dlt=False),
        SubjectOutcome(1, dlt=True),
        SubjectOutcome(-1, dlt=False),
        SubjectOutcome(-1, dlt=False),
    )
    assert parse_outcomes("") == ()
    assert parse_outcomes("[A2]NT")[0].level == "A2"


@pytest.mark.parametrize(("text", "group"), [("1NNX", "1NNX"), ("1NNN NN", "NN"), ("1", "1")])
def test_bad_notation_names_the_group(text: str, group: str) -> None:
    with pytest.raises(DesignInputError, match=f"got '{group}'"):
        parse_outcomes(text)


def test_counts_follow_the_ladder_not_the_labels() -> None:
    counts = count_by_dose(SEED, parse_outcomes("1NNT 1NNN -1NTT"))
    assert counts == (DoseCounts(3, 2), DoseCounts(6, 1), DoseCounts(0, 0))


def test_unknown_label_is_refused_by_name() -> None:
    with pytest.raises(DesignInputError, match="argument `level` got 0; expected one of"):
        count_by_dose(SEED, parse_outcomes("0NNN"))


def test_ladder_needs_distinct_labels() -> None:
    with pytest.raises(DesignInputError, match="distinct labels"):
        DoseLadder((1, 1))


@given(st.lists(st.tuples(st.sampled_from([-1, 1, 2]), st.text("NT", min_size=1, max_size=6))))
def test_notation_round_trips_and_counts_add_up(cohorts: list[tuple[int, str]]) -> None:
    text = " ".join(f"{label}{letters}" for label, letters in cohorts)
    history = parse_outcomes(text)
    assert len(history) == sum(len(letters) for _, letters in cohorts)
    counts = count_by_dose(SEED, history)
    assert sum(c.n for c in counts) == len(history)
    assert sum(c.y for c in counts) == text.count("T")


@given(outcome_histories())
def test_format_outcomes_is_the_inverse_of_parse_outcomes(
    history: tuple[SubjectOutcome, ...],
) -> None:
    text = format_outcomes(history)
    assert parse_outcomes(text) == history
    # One group per run of subjects at one level, so the written form is canonical.
    assert len(text.split()) == len(list(groupby(history, key=lambda subject: subject.level)))
    assert format_outcomes(parse_outcomes(text)) == text
