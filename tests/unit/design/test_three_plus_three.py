"""The 3+3 design: hand-traced decision tables, refused histories, the rules on counts, and
contract properties.

Histories are written in the compact notation: ``"1NTN 1NNN"`` is a cohort of three at
level 1 with one DLT (``T``), then three more at level 1 with none. The seed's ladder
(NCT07329959: levels -1, 1, 2; start 1) is used throughout, and levels 10 to 60 where six
doses are needed, so a label is never an index.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pytest
from hypothesis import given

from strategies import ThreePlusThreeRun, three_plus_three_runs
from trialdesk.design import (
    Design,
    DoseCounts,
    DoseLadder,
    Label,
    SubjectOutcome,
    count_by_dose,
    parse_outcomes,
)
from trialdesk.design.exact_three_plus_three import exact_oc
from trialdesk.design.three_plus_three import (
    THREE_PLUS_THREE_RULES,
    ThreePlusThree,
    ThreePlusThreeStep,
)
from trialdesk.errors import DesignInputError

SEED = DoseLadder((-1, 1, 2))


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


def test_the_refused_history_is_shown_in_the_notation_one_group_per_level_run() -> None:
    with pytest.raises(DesignInputError) as caught:
        ThreePlusThree(SEED, 1).decide(parse_outcomes("1NNN 2NTT 2NNN"))
    assert str(caught.value) == (
        "argument `history` got '1NNN 2NTTNNN'; expected a history a 3+3 trial could produce: "
        "after '1NNN 2NTT' the next cohort (subjects 7-9) is at level 1 "
        "(3+3.too_toxic_deescalate), but subject 7 was treated at level 2, which is known too "
        "toxic (2/3)"
    )


def test_a_history_the_notation_cannot_write_is_shown_as_is() -> None:
    # "high dose" has a space, so no written form: the refusal still says what went wrong.
    history = (SubjectOutcome("high dose", dlt=False),) * 3
    with pytest.raises(DesignInputError, match="was treated at level high dose") as caught:
        ThreePlusThree(DoseLadder(("low dose", "high dose"))).decide(history)
    assert caught.value.value == history


# --- the rules on counts ------------------------------------------------------------------------

OPTION_SETS = [
    {"deescalate": deescalate, "lower_zero_of_three": lower, "expand_top": expand_top}
    for deescalate in (True, False)
    for lower in ("expand", "stop")
    for expand_top in (True, False)
]
SIX = DoseLadder((10, 20, 30, 40, 50, 60))
State = tuple[tuple[int, ...], tuple[int, ...], int | None]  # n and y per dose, current


@pytest.mark.parametrize("options", OPTION_SETS, ids=str)
def test_step_and_decide_agree_on_every_state_the_exact_walk_visits(
    options: dict[str, object],
) -> None:
    # Walked here by decide, with one history per counts state; exact_oc walks by step from
    # the same empty state, so agreement at every state means it visits exactly these (the
    # path counts below confirm it).
    design = ThreePlusThree(SIX, **options)  # type: ignore[arg-type]
    empty = (0,) * len(SIX)
    layer: dict[State, Reached] = {(empty, empty, None): Reached((), 1)}
    paths = 0
    while layer:
        following: dict[State, Reached] = {}
        for (n, y, current), reached in layer.items():
            decision = design.decide(reached.history)
            step = design.step(n, y, current)
            assert (step.rule, at(step.next_index), at(step.mtd_index), step.stop) == (
                decision.rule,
                decision.next_level,
                decision.mtd,
                decision.stop,
            )
            assert decision.counts == tuple(zip(SIX.labels, map(DoseCounts, n, y), strict=True))
            if step.next_index is None:
                paths += reached.paths
                continue
            dose = step.next_index
            for dlts in range(4):
                cohort = tuple(SubjectOutcome(SIX.labels[dose], k < dlts) for k in range(3))
                child = (plus(n, dose, 3), plus(y, dose, dlts), dose)
                known = following.get(child)
                following[child] = Reached(
                    reached.history + cohort if known is None else known.history,
                    reached.paths + (0 if known is None else known.paths),
                )
        layer = following
    assert paths == exact_oc(design, [0.3] * len(SIX)).n_terminal_paths


@dataclass(frozen=True)
class Reached:
    history: tuple[SubjectOutcome, ...]
    paths: int


def at(index: int | None) -> Label | None:
    return None if index is None else SIX.labels[index]


def plus(counts: tuple[int, ...], index: int, more: int) -> tuple[int, ...]:
    return (*counts[:index], counts[index] + more, *counts[index + 1 :])


@pytest.mark.parametrize("case", TABLE, ids=lambda case: f"{case.start}:{case.history}")
def test_step_on_the_counts_of_the_hand_traced_histories(case: Case) -> None:
    design = ThreePlusThree(SEED, case.start, **case.options)  # type: ignore[arg-type]
    history = parse_outcomes(case.history)
    counts = count_by_dose(SEED, history)
    current = SEED.index(history[-1].level) if history else None
    step = design.step([c.n for c in counts], [c.y for c in counts], current)
    position = {None: None} | {label: SEED.index(label) for label in SEED.labels}
    assert step == ThreePlusThreeStep(case.rule, position[case.next_level], position[case.mtd])


@pytest.mark.parametrize(
    ("n", "y", "current", "argument", "expected"),
    [
        ([3, 0], [0, 0, 0], 0, "n", "3 counts, one per level"),
        ([3, 0, 0], [0, 0], 0, "y", "3 counts, one per level"),
        ([0, 3, 0], [0, 0, 0], None, "current", "the position (0 to 2) of the dose treated last"),
        ([0, 3, 0], [0, 0, 0], 3, "current", "the position (0 to 2)"),
        ([0, 3, 0], [0, 0, 0], -1, "current", "the position (0 to 2)"),
        ([0, 3, 0], [0, 0, 0], 0, "current", "the position (0 to 2)"),
        ([0, 3, 0], [0, 0, 0], True, "current", "the position (0 to 2)"),
    ],
)
def test_step_refuses_counts_of_the_wrong_shape(
    n: list[int], y: list[int], current: int | None, argument: str, expected: str
) -> None:
    with pytest.raises(DesignInputError, match=f"argument `{argument}` got") as caught:
        ThreePlusThree(SEED, 1).step(n, y, current)
    assert expected in str(caught.value)


# --- contract properties ------------------------------------------------------------------------


@given(three_plus_three_runs())
def test_every_decision_names_its_rule_and_reason(run: ThreePlusThreeRun) -> None:
    for decision in run.decisions:
        assert decision.rule in THREE_PLUS_THREE_RULES
        assert decision.reason
        assert decision.stop == (decision.next_level is None)
        assert decision.next_level is None or decision.next_level in run.design.ladder.labels


@given(three_plus_three_runs())
def test_decisions_are_a_pure_function_of_the_history(run: ThreePlusThreeRun) -> None:
    for k, decision in enumerate(run.decisions):
        prefix = run.history[: 3 * k]
        again = run.design.decide(list(prefix))
        assert again == decision
        assert dict(again.counts) == dict(
            zip(run.design.ladder.labels, count_by_dose(run.design.ladder, prefix), strict=True)
        )


@given(three_plus_three_runs())
def test_never_treats_above_a_dose_known_too_toxic(run: ThreePlusThreeRun) -> None:
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


@given(three_plus_three_runs())
def test_the_mtd_was_treated_tolerated_and_lies_below_every_too_toxic_dose(
    run: ThreePlusThreeRun,
) -> None:
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


@given(three_plus_three_runs())
def test_expanding_options_declare_mtds_with_six(run: ThreePlusThreeRun) -> None:
    design = run.design
    final = run.decisions[-1]
    top = design.ladder.highest
    expanded = design.deescalate and design.lower_zero_of_three == "expand"
    if final.mtd is not None and expanded and (final.mtd != top or design.expand_top):
        assert dict(final.counts)[final.mtd].n == 6
