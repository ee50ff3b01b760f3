"""The 3+3 design: hand-traced decision tables, refused histories, and contract properties.

Histories are written in the compact notation: ``"1NTN 1NNN"`` is a cohort of three at
level 1 with one DLT (``T``), then three more at level 1 with none. The seed's ladder
(NCT07329959: levels -1, 1, 2; start 1) is used throughout, so a label is never an index.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialdesk.design import (
    Decision,
    Design,
    DoseCounts,
    DoseLadder,
    SubjectOutcome,
    count_by_dose,
    parse_outcomes,
)
from trialdesk.design.three_plus_three import THREE_PLUS_THREE_RULES, ThreePlusThree
from trialdesk.errors import DesignInputError

# --- strategies ---------------------------------------------------------------------------------

SEED = DoseLadder((-1, 1, 2))

ladders = st.sampled_from(
    [
        SEED,
        DoseLadder((1,)),
        DoseLadder((1, 2)),
        DoseLadder(("A", "B", "C", "D")),
        DoseLadder((0, 1, 2, 3, 4)),
    ]
)


@st.composite
def designs(draw: st.DrawFn) -> ThreePlusThree:
    """Any 3+3 configuration: a ladder, a start on it, every option value."""
    ladder = draw(ladders)
    return ThreePlusThree(
        ladder,
        draw(st.sampled_from(ladder.labels)),
        deescalate=draw(st.booleans()),
        lower_zero_of_three=draw(st.sampled_from(["expand", "stop"])),
        expand_top=draw(st.booleans()),
    )


@dataclass(frozen=True)
class Run:
    """A trial run by the design itself, and the decision after each cohort (or part)."""

    design: ThreePlusThree
    history: tuple[SubjectOutcome, ...]
    decisions: tuple[Decision, ...]  # decisions[k] follows the first k cohorts


@st.composite
def runs(draw: st.DrawFn) -> Run:
    """Run a design with random DLT draws until it stops, or cut it short (maybe mid-cohort)."""
    design = draw(designs())
    history: tuple[SubjectOutcome, ...] = ()
    decisions = [design.decide(history)]
    while not decisions[-1].stop and draw(st.integers(0, 9)) != 0:
        level = decisions[-1].next_level
        assert level is not None
        size = 3 if draw(st.integers(0, 5)) else draw(st.integers(1, 2))
        history += tuple(SubjectOutcome(level, draw(st.booleans())) for _ in range(size))
        decisions.append(design.decide(history))
        if size < 3:
            break
    return Run(design, history, tuple(decisions))


# --- configuration ------------------------------------------------------------------------------


def test_is_a_design_with_three_per_cohort_starting_at_the_lowest_by_default() -> None:
    design: Design = ThreePlusThree(SEED)
    assert (design.name, design.cohort_size, design.start, design.ladder) == ("3+3", 3, -1, SEED)
    assert ThreePlusThree(SEED, 1).start == 1


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        ({"start": 0}, "start"),
        ({"start": "1"}, "start"),
        ({"start": True}, "start"),
        ({"deescalate": "yes"}, "deescalate"),
        ({"expand_top": 1}, "expand_top"),
        ({"lower_zero_of_three": "maybe"}, "lower_zero_of_three"),
    ],
)
def test_bad_options_are_refused_by_name(arguments: dict[str, object], argument: str) -> None:
    with pytest.raises(DesignInputError, match=f"argument `{argument}` got"):
        ThreePlusThree(SEED, **arguments)  # type: ignore[arg-type]


def test_a_ladder_must_be_a_dose_ladder() -> None:
    with pytest.raises(DesignInputError, match="argument `ladder` got"):
        ThreePlusThree((-1, 1, 2))  # type: ignore[arg-type]


# --- hand-traced decision tables ----------------------------------------------------------------

DEFAULT: dict[str, object] = {}  # deescalate=True, lower_zero_of_three="expand", expand_top=False
STOP_AT_0_OF_3 = {"lower_zero_of_three": "stop"}
EXPAND_TOP = {"expand_top": True}
ESCALATION_ONLY = {"deescalate": False}


@dataclass(frozen=True)
class Case:
    """A decision traced by hand from the rules: options, start, history, expected decision."""

    options: Mapping[str, object]
    start: int
    history: str
    rule: str
    next_level: int | None
    mtd: int | None


TABLE: list[Case] = [
    # Escalation, expansion, the top level.
    Case(DEFAULT, 1, "", "3+3.start", 1, None),
    Case(DEFAULT, 1, "1N", "3+3.complete_cohort", 1, None),
    Case(DEFAULT, 1, "1NT", "3+3.complete_cohort", 1, None),
    Case(DEFAULT, 1, "1TT", "3+3.complete_cohort", 1, None),
    Case(DEFAULT, 1, "1NTN 1N", "3+3.complete_cohort", 1, None),
    Case(DEFAULT, 1, "1NNN", "3+3.escalate_after_0_of_3", 2, None),
    Case(DEFAULT, 1, "1NTN", "3+3.expand_after_1_of_3", 1, None),
    Case(DEFAULT, 1, "1NTN 1NNN", "3+3.escalate_after_1_of_6", 2, None),
    Case(DEFAULT, 1, "1NNN 2NNN", "3+3.top_dose_mtd", None, 2),
    Case(DEFAULT, 1, "1NNN 2TNN", "3+3.expand_after_1_of_3", 2, None),
    Case(DEFAULT, 1, "1NNN 2TNN 2NNN", "3+3.top_dose_mtd", None, 2),
    Case(EXPAND_TOP, 1, "1NNN 2NNN", "3+3.expand_top", 2, None),
    Case(EXPAND_TOP, 1, "1NNN 2NNN 2NNT", "3+3.top_dose_mtd", None, 2),
    Case(EXPAND_TOP, 1, "1NNN 2NNN 2NTT", "3+3.too_toxic_deescalate", 1, None),
    Case(EXPAND_TOP, 1, "1NTN 1NNN 2NNN 2TTN", "3+3.too_toxic_mtd_below", None, 1),
    # Too toxic above a tested level: the level below has 6, or 0/3 (expand or stop).
    Case(DEFAULT, 1, "1NTN 1NNN 2TTT", "3+3.too_toxic_mtd_below", None, 1),
    Case(DEFAULT, 1, "1NTN 1NNN 2TNN 2NTN", "3+3.too_toxic_mtd_below", None, 1),
    Case(DEFAULT, 1, "1NNN 2NTT", "3+3.too_toxic_deescalate", 1, None),
    Case(DEFAULT, 1, "1NNN 2NTT 1NNN", "3+3.mtd_below_too_toxic", None, 1),
    Case(DEFAULT, 1, "1NNN 2NTT 1TNN", "3+3.mtd_below_too_toxic", None, 1),
    Case(STOP_AT_0_OF_3, 1, "1NNN 2NTT", "3+3.too_toxic_mtd_below", None, 1),
    Case(STOP_AT_0_OF_3, 1, "1NNN 2TNN 2NTN", "3+3.too_toxic_mtd_below", None, 1),
    # Too toxic at the start: de-escalate to level -1, untested, below the start.
    Case(DEFAULT, 1, "1TTN", "3+3.too_toxic_deescalate", -1, None),
    Case(DEFAULT, 1, "1NTN 1TNN", "3+3.too_toxic_deescalate", -1, None),
    Case(DEFAULT, 1, "1TTN -1NNN", "3+3.expand_below_too_toxic", -1, None),
    Case(DEFAULT, 1, "1TTN -1NNN -1NNT", "3+3.mtd_below_too_toxic", None, -1),
    Case(DEFAULT, 1, "1TTN -1NTN", "3+3.expand_after_1_of_3", -1, None),
    Case(DEFAULT, 1, "1TTN -1NTN -1NNN", "3+3.mtd_below_too_toxic", None, -1),
    Case(DEFAULT, 1, "1TTN -1TTN", "3+3.too_toxic_stop_lowest", None, None),
    Case(DEFAULT, 1, "1TTN -1NTN -1TNN", "3+3.too_toxic_stop_lowest", None, None),
    Case(DEFAULT, 1, "1TTN -1NNN -1NTT", "3+3.too_toxic_stop_lowest", None, None),
    Case(STOP_AT_0_OF_3, 1, "1TTN", "3+3.too_toxic_deescalate", -1, None),
    Case(STOP_AT_0_OF_3, 1, "1TTN -1NNN", "3+3.mtd_below_too_toxic", None, -1),
    Case(STOP_AT_0_OF_3, 1, "1TTN -1NTN", "3+3.expand_after_1_of_3", -1, None),
    Case(STOP_AT_0_OF_3, 1, "1TTN -1NTN -1NNN", "3+3.mtd_below_too_toxic", None, -1),
    Case(EXPAND_TOP, 1, "1TTT -1TTT", "3+3.too_toxic_stop_lowest", None, None),
    # Cascades: 2 too toxic, then 1 (expanded from 0/3) too toxic, down to -1.
    Case(DEFAULT, 1, "1NNN 2NTT 1TTN", "3+3.too_toxic_deescalate", -1, None),
    Case(DEFAULT, 1, "1NNN 2NTT 1NTT", "3+3.too_toxic_deescalate", -1, None),
    Case(DEFAULT, 1, "1NNN 2NTT 1TTN -1NNN", "3+3.expand_below_too_toxic", -1, None),
    Case(DEFAULT, 1, "1NNN 2NTT 1TTN -1NNN -1NNT", "3+3.mtd_below_too_toxic", None, -1),
    Case(DEFAULT, 1, "1NNN 2NTT 1TTN -1NNN -1NTT", "3+3.too_toxic_stop_lowest", None, None),
    Case(DEFAULT, -1, "-1NNN 1NNN 2NTT 1NTT", "3+3.too_toxic_deescalate", -1, None),
    Case(DEFAULT, -1, "-1NNN 1NNN 2NTT 1NTT -1NNN", "3+3.mtd_below_too_toxic", None, -1),
    Case(DEFAULT, -1, "-1NNN 1NNN 2NTT 1NTT -1TTN", "3+3.too_toxic_stop_lowest", None, None),
    Case(DEFAULT, -1, "-1NTN -1NNN 1NNN 2TTN 1NNT", "3+3.mtd_below_too_toxic", None, 1),
    Case(DEFAULT, -1, "-1NTN -1NNN 1NNN 2TTN 1NTT", "3+3.too_toxic_mtd_below", None, -1),
    Case(DEFAULT, 2, "2TTT 1TTN -1NNN", "3+3.expand_below_too_toxic", -1, None),
    Case(STOP_AT_0_OF_3, -1, "-1NNN 1NNN 2NTT", "3+3.too_toxic_mtd_below", None, 1),
    # Escalation only: stop at once, MTD = the next lower level whatever its sample size.
    Case(ESCALATION_ONLY, 1, "1NNN 2NTT", "3+3.too_toxic_no_deescalation", None, 1),
    Case(ESCALATION_ONLY, 1, "1NTN 1NNN 2TTN", "3+3.too_toxic_no_deescalation", None, 1),
    Case(ESCALATION_ONLY, 1, "1NNN 2NTN 2TNN", "3+3.too_toxic_no_deescalation", None, 1),
    Case(ESCALATION_ONLY, 1, "1TTN", "3+3.too_toxic_no_deescalation_untested", None, None),
    Case(ESCALATION_ONLY, 1, "1NTN 1NTN", "3+3.too_toxic_no_deescalation_untested", None, None),
    Case(ESCALATION_ONLY, -1, "-1TTT", "3+3.too_toxic_stop_lowest", None, None),
    Case(ESCALATION_ONLY, 1, "1NNN 2NNN", "3+3.top_dose_mtd", None, 2),
    Case(ESCALATION_ONLY | EXPAND_TOP, 1, "1NNN 2NNN", "3+3.expand_top", 2, None),
    Case(
        ESCALATION_ONLY | EXPAND_TOP, 1, "1NNN 2NNN 2TTN", "3+3.too_toxic_no_deescalation", None, 1
    ),
]


@pytest.mark.parametrize("case", TABLE, ids=lambda case: f"{case.start}:{case.history}")
def test_hand_traced_decisions(case: Case) -> None:
    design = ThreePlusThree(SEED, case.start, **case.options)  # type: ignore[arg-type]
    decision = design.decide(parse_outcomes(case.history))
    expected = (case.rule, case.next_level, case.mtd)
    assert (decision.rule, decision.next_level, decision.mtd) == expected
    assert decision.stop == (case.next_level is None)


def test_the_tables_use_every_rule_and_every_option_value() -> None:
    assert {case.rule for case in TABLE} == set(THREE_PLUS_THREE_RULES)
    assert {(key, str(value)) for case in TABLE for key, value in case.options.items()} == {
        ("lower_zero_of_three", "stop"),
        ("expand_top", "True"),
        ("deescalate", "False"),
    }


# One reason per rule, as a clinician reads it: the sentence is part of the contract.
REASONS = [
    ("", "No subject treated yet: treat the first cohort of 3 at the start level 1."),
    (
        "1NT",
        (
            "The latest cohort at level 1 has 2 of 3 subjects (1/2 DLTs at level 1 so far): "
            "treat 1 more at level 1 before deciding."
        ),
    ),
    ("1NNN", "0/3 DLTs at level 1: escalate to level 2."),
    ("1NTN", "1/3 DLTs at level 1: treat 3 more at level 1."),
    ("1NTN 1NNN", "1/6 DLTs at level 1: escalate to level 2."),
    (
        "1NNN 2NNN",
        (
            "0/3 DLTs at level 2, the highest level: no higher level to escalate to; stop, "
            "MTD = level 2."
        ),
    ),
    (
        "1NNN 2NTT",
        "2/3 DLTs at level 2: too toxic; de-escalate to level 1, which has 0/3: treat 3 more.",
    ),
    (
        "1TTN",
        "2/3 DLTs at level 1: too toxic; de-escalate to level -1, not yet treated: treat 3 there.",
    ),
    (
        "1NTN 1NNN 2TTT",
        "3/3 DLTs at level 2: too toxic; level 1 below has 1/6: stop, MTD = level 1.",
    ),
    ("1TTN -1TTN", "2/3 DLTs at level -1, the lowest level: too toxic; stop with no MTD."),
    (
        "1TTN -1NNN",
        (
            "0/3 DLTs at level -1 and level 1 above is too toxic (2/3): treat 3 more at level -1 "
            "before declaring it the MTD."
        ),
    ),
    (
        "1NNN 2NTT 1TNN",
        "1/6 DLTs at level 1 and level 2 above is too toxic (2/3): stop, MTD = level 1.",
    ),
]


@pytest.mark.parametrize(("history", "reason"), REASONS)
def test_reasons_name_levels_and_counts(history: str, reason: str) -> None:
    assert ThreePlusThree(SEED, 1).decide(parse_outcomes(history)).reason == reason


@pytest.mark.parametrize(
    ("options", "history", "reason"),
    [
        (
            EXPAND_TOP,
            "1NNN 2NNN",
            (
                "0/3 DLTs at level 2, the highest level: treat 3 more there before declaring it "
                "the MTD (expand_top)."
            ),
        ),
        (
            ESCALATION_ONLY,
            "1NNN 2NTT",
            (
                "2/3 DLTs at level 2: too toxic; escalation-only design (no de-escalation): stop, "
                "MTD = level 1 below, which has 0/3."
            ),
        ),
        (
            ESCALATION_ONLY,
            "1TTN",
            (
                "2/3 DLTs at level 1: too toxic; escalation-only design (no de-escalation) and "
                "level -1 below was never treated: stop with no MTD."
            ),
        ),
    ],
)
def test_reasons_of_the_options(options: dict[str, object], history: str, reason: str) -> None:
    design = ThreePlusThree(SEED, 1, **options)  # type: ignore[arg-type]
    assert design.decide(parse_outcomes(history)).reason == reason


def test_counts_are_by_label_in_ladder_order() -> None:
    decision = ThreePlusThree(SEED, 1).decide(parse_outcomes("1TTN -1NTN"))
    assert decision.counts == ((-1, DoseCounts(3, 1)), (1, DoseCounts(3, 2)), (2, DoseCounts(0, 0)))


def test_text_labels_work_like_numbers() -> None:
    design = ThreePlusThree(DoseLadder(("low", "mid", "high")), "mid")
    decision = design.decide(parse_outcomes("[mid]NTT [low]NNN"))
    assert (decision.rule, decision.next_level) == ("3+3.expand_below_too_toxic", "low")
    assert "level low and level mid above is too toxic (2/3)" in decision.reason


# --- impossible histories -----------------------------------------------------------------------

IMPOSSIBLE = [
    # (start, history, what the message must say)
    (1, "2NNN", "with no subject treated the next cohort (subjects 1-3) is at level 1"),
    (1, "-1NNN", "subject 1 was treated at level -1"),
    (1, "1NNN 1N", "subject 4 was treated at level 1"),
    (1, "1NNNN", "(3+3.escalate_after_0_of_3), but subject 4 was treated at level 1"),
    (1, "1NTN 1NNN 1N", "which already has 6 subjects (a 3+3 dose never has more than 6)"),
    (1, "1NN 2N", "subject 3 was treated at level 2"),
    (1, "1NNN 2NTT 2NNN", "subject 7 was treated at level 2, which is known too toxic (2/3)"),
    (1, "1TTN 2NNN", "above level 1, known too toxic (2/3)"),
    (1, "1NNN 2NTT -1NNN", "the next cohort (subjects 7-9) is at level 1"),
    (1, "1NNN 2NNN 2NNN", "the trial stops (3+3.top_dose_mtd), but subject 7"),
    (1, "1TTN -1TTN -1N", "the trial stops (3+3.too_toxic_stop_lowest)"),
    (-1, "-1NNN 2NNN", "skipping level 1, never treated"),
    (1, "1NN 0N", "levels -1, 1, 2 only, but subject 3 is at level 0"),
    (1, "[1]NNN", "levels -1, 1, 2 only, but subject 1 is at level '1'"),
]


@pytest.mark.parametrize(("start", "history", "message"), IMPOSSIBLE)
def test_impossible_histories_are_refused_with_the_reason(
    start: int, history: str, message: str
) -> None:
    with pytest.raises(DesignInputError, match="argument `history` got") as caught:
        ThreePlusThree(SEED, start).decide(parse_outcomes(history))
    assert message in str(caught.value)
    assert caught.value.argument == "history"


def test_a_subject_still_in_follow_up_is_not_decided_on() -> None:
    history = [*parse_outcomes("1NN"), SubjectOutcome(1, dlt=False, followup_days=5.0)]
    with pytest.raises(DesignInputError, match="subject 3 is still in follow-up"):
        ThreePlusThree(SEED, 1).decide(history)
    # A DLT ends the window early: that subject counts.
    history[-1] = SubjectOutcome(1, dlt=True, followup_days=5.0)
    assert ThreePlusThree(SEED, 1).decide(history).rule == "3+3.expand_after_1_of_3"


# --- contract properties ------------------------------------------------------------------------


@given(runs())
def test_every_decision_names_its_rule_and_reason(run: Run) -> None:
    for decision in run.decisions:
        assert decision.rule in THREE_PLUS_THREE_RULES
        assert decision.reason
        assert decision.stop == (decision.next_level is None)
        assert decision.next_level is None or decision.next_level in run.design.ladder.labels


@given(runs())
def test_decisions_are_a_pure_function_of_the_history(run: Run) -> None:
    for k, decision in enumerate(run.decisions):
        prefix = run.history[: 3 * k]
        again = run.design.decide(list(prefix))
        assert again == decision
        assert dict(again.counts) == dict(
            zip(run.design.ladder.labels, count_by_dose(run.design.ladder, prefix), strict=True)
        )


@given(runs())
def test_never_treats_above_a_dose_known_too_toxic(run: Run) -> None:
    ladder = run.design.ladder
    for decision in run.decisions:
        toxic = [ladder.index(label) for label, c in decision.counts if c.y >= 2]
        if decision.next_level is not None and toxic:
            # Completing a cohort whose first subjects already had 2 DLTs is the one way
            # back to a too-toxic dose (the 3+3 decides on whole cohorts): never above it.
            if decision.rule == "3+3.complete_cohort":
                assert ladder.index(decision.next_level) <= min(toxic)
            else:
                assert ladder.index(decision.next_level) < min(toxic)


@given(runs())
def test_the_mtd_was_treated_tolerated_and_lies_below_every_too_toxic_dose(run: Run) -> None:
    ladder = run.design.ladder
    for decision in run.decisions:
        counts = dict(decision.counts)
        if not decision.stop:
            assert decision.mtd is None
        elif decision.mtd is not None:
            assert counts[decision.mtd].n >= 3
            assert counts[decision.mtd].y <= 1
            toxic = [ladder.index(label) for label, c in decision.counts if c.y >= 2]
            assert all(ladder.index(decision.mtd) < index for index in toxic)
        assert all(c.n <= 6 for c in counts.values())


@given(runs())
def test_expanding_options_declare_mtds_with_six(run: Run) -> None:
    design = run.design
    final = run.decisions[-1]
    top = design.ladder.highest
    expanded = design.deescalate and design.lower_zero_of_three == "expand"
    if final.mtd is not None and expanded and (final.mtd != top or design.expand_top):
        assert dict(final.counts)[final.mtd].n == 6
