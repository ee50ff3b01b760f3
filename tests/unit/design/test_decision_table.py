"""Decision tables as data (JSON), TableDesign's rules, and the contract of table designs."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialdesk.design import DoseLadder, SubjectOutcome, parse_outcomes
from trialdesk.design.boin import Boin, boin_table
from trialdesk.design.decision import Decision, Design
from trialdesk.design.decision_table import Action, DecisionTable, TableDesign
from trialdesk.design.interval_tables import i3plus3_table, keyboard_table, mtpi2_table
from trialdesk.design.isotonic import IsotonicSelector
from trialdesk.errors import DesignInputError

# --- strategies -------------------------------------------------------------------------------

ACTIONS = list(Action)


@st.composite
def monotone_tables(draw: st.DrawFn, max_n: int = 8) -> DecisionTable:
    """Any table whose rows never get less cautious as y grows."""
    rows = []
    for n in range(1, draw(st.integers(1, max_n)) + 1):
        levels = sorted(draw(st.lists(st.integers(0, 3), min_size=n + 1, max_size=n + 1)))
        rows.append(tuple(ACTIONS[level] for level in levels))
    return DecisionTable(tuple(rows))


LADDER = DoseLadder((-1, 1, 2, 3, 4))
MAX_COHORTS, COHORT = 8, 3
# Random histories, not necessarily ones a design would produce: cohorts at any level.
histories = st.lists(
    st.tuples(st.sampled_from(LADDER.labels), st.lists(st.booleans(), min_size=1, max_size=3)),
    max_size=8,
).map(lambda cohorts: tuple(SubjectOutcome(level, dlt) for level, dlts in cohorts for dlt in dlts))
# DLT draws to run a design with: one per subject it may treat.
dlt_draws = st.lists(st.booleans(), min_size=MAX_COHORTS * COHORT, max_size=MAX_COHORTS * COHORT)

# --- fixtures ---------------------------------------------------------------------------------

BOIN_30 = boin_table(0.3, MAX_COHORTS * COHORT)
SELECTOR = IsotonicSelector(0.3)


def table_design(table: DecisionTable, **options: object) -> TableDesign:
    return TableDesign(LADDER, table, SELECTOR, MAX_COHORTS, COHORT, **options)  # type: ignore[arg-type]


def run(design: Design, draws: list[bool]) -> list[tuple[tuple[SubjectOutcome, ...], Decision]]:
    """Run a design to its stop, the k-th subject treated having a DLT when draws[k]."""
    history: tuple[SubjectOutcome, ...] = ()
    steps = []
    while True:
        decision = design.decide(history)
        steps.append((history, decision))
        if decision.stop:
            return steps
        assert decision.next_level is not None
        cohort = draws[len(history) : len(history) + design.cohort_size]
        history += tuple(SubjectOutcome(decision.next_level, dlt) for dlt in cohort)


# --- the JSON form ----------------------------------------------------------------------------


@given(monotone_tables())
def test_json_round_trip_keeps_every_cell(table: DecisionTable) -> None:
    text = table.to_json()
    assert DecisionTable.from_json(text) == table
    assert json.loads(text) == table.to_mapping()


def test_json_form_has_one_line_per_n() -> None:
    table = DecisionTable.from_rule(
        2, lambda _n, y: Action.ESCALATE if y == 0 else Action.DEESCALATE
    )
    assert (
        table.to_json()
        == '{\n  "1": {"0": "E", "1": "D"},\n  "2": {"0": "E", "1": "D", "2": "D"}\n}\n'
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "argument `table` got '{'; expected a JSON object {\"<n>\""),
        ("[]", r"argument `table` got \[\]"),
        ('{"1": {"0": "E", "1": "D"}, "3": {}}', r"keys 1..2; missing \['2'\], unexpected \['3'\]"),
        (
            '{"1": {"0": "E"}}',
            r"argument `table\[\"1\"\]` got \['0'\]; expected keys 0..1; missing \['1'\]",
        ),
        (
            '{"1": {"0": "E", "1": "X"}}',
            r"argument `table\[\"1\"\]\[\"1\"\]` got 'X'; expected one of",
        ),
        ('{"1": ["E", "D"]}', r"argument `table\[\"1\"\]` got \['E', 'D'\]"),
    ],
)
def test_malformed_table_is_refused_by_name(text: str, message: str) -> None:
    with pytest.raises(DesignInputError, match=message):
        DecisionTable.from_json(text)


def test_non_monotone_table_is_refused_naming_every_cell() -> None:
    # 2 DLTs of 3 escalate while 1 of 3 stays: more DLTs, a more aggressive action.
    text = (
        '{"1": {"0": "E", "1": "D"}, "2": {"0": "E", "1": "S", "2": "D"},'
        ' "3": {"0": "E", "1": "S", "2": "E", "3": "D"}, "4": {"0": "S", "1": "E", "2": "D",'
        ' "3": "D", "4": "DU"}}'
    )
    with pytest.raises(DesignInputError) as caught:
        DecisionTable.from_json(text)
    assert str(caught.value) == (
        "argument `table[\"3\"][\"2\"]` got 'E'; expected an action at least as cautious as 'S' "
        "at y=1: more DLTs never give a more aggressive action; also n=4 y=1"
    )


def test_lookup_outside_the_table_is_refused() -> None:
    with pytest.raises(DesignInputError, match=r"1 <= n <= 24 and 0 <= y <= n"):
        BOIN_30.action(25, 0)


def test_boundaries_read_the_table_as_get_boundary_prints_it() -> None:
    # BOIN get.boundary(target = 0.3, ncohort = 10, cohortsize = 3)$full_boundary_tab, n = 3, as
    # printed in https://rstudio-pubs-static.s3.amazonaws.com/1437814_79ba5accbdfc4c6aaed63b046a781eab.html
    # and in the BOIN protocol template (docsbay.net/template-for-protocol-preparation, Table 1).
    third = BOIN_30.boundaries()[2]
    assert (
        third.n,
        third.escalate_at_most,
        third.deescalate_at_least,
        third.eliminate_at_least,
    ) == (
        3,
        0,
        2,
        3,
    )


# --- TableDesign's rules ----------------------------------------------------------------------


def test_start_is_the_lowest_unless_named() -> None:
    assert table_design(BOIN_30).decide(()).next_level == -1
    decision = table_design(BOIN_30, start_level=2).decide(())
    assert (decision.next_level, decision.rule) == (2, "table.start")


@pytest.mark.parametrize(
    ("outcomes", "next_level", "rule"),
    [
        # BOIN 0.3 table (boundaries above): 0/3 escalate, 1/3 stay, 2/3 de-escalate, 3/3 DU.
        ("1NNN", 2, "table.escalate"),
        ("1NNT", 1, "table.stay"),
        ("1NTT", -1, "table.deescalate"),
        ("1TTT", -1, "table.eliminate"),
        ("4NNN", 4, "table.stay_at_highest"),
        ("-1NTT", -1, "table.stay_at_lowest"),
        # 3 is eliminated by 3/3; 0/3 at 2 would escalate into it, so stay.
        ("3TTT 2NNN", 2, "table.stay_at_highest"),
        # A history that went back into an eliminated dose leaves it again.
        ("3TTT 3NNN", 2, "table.leave_eliminated"),
    ],
)
def test_table_rules(outcomes: str, next_level: int, rule: str) -> None:
    decision = table_design(BOIN_30).decide(parse_outcomes(outcomes))
    assert (decision.next_level, decision.rule) == (next_level, rule)
    assert not decision.stop


def test_reasons_read_as_the_rule_applied() -> None:
    design = table_design(BOIN_30)
    assert (
        design.decide(parse_outcomes("1NTT")).reason == "2/3 at level 1 gives D: de-escalate to -1"
    )
    assert design.decide(parse_outcomes("3TTT")).reason == (
        "3/3 at level 3 gives DU; level 3 and above are eliminated: go to 2"
    )


def test_lowest_eliminated_stops_without_mtd() -> None:
    decision = table_design(BOIN_30).decide(parse_outcomes("1NTT -1TTT"))
    assert (decision.stop, decision.mtd, decision.rule) == (
        True,
        None,
        "table.stop_lowest_eliminated",
    )


def test_max_sample_size_stops_with_the_selected_mtd() -> None:
    # 8 cohorts of 3: counts (-1, 1, 2) = 3/0, 9/1, 12/4; isotonic estimates 0.016, 0.115,
    # 4.05/12.1 = 0.335; 0.335 is closest to 0.3 -> level 2.
    history = parse_outcomes("-1NNN 1NNN 1NNT 1NNN 2NTN 2TNN 2NTN 2TNN")
    decision = table_design(BOIN_30).decide(history)
    assert (decision.stop, decision.mtd, decision.rule) == (True, 2, "table.stop_max_n")
    assert "maximum sample size 24" in decision.reason


def test_elimination_is_checked_per_cohort_not_per_subject() -> None:
    # 3/4 would be DU (P(p > 0.3 | 3/4) = 0.969), but the cohort ends at 3/6 (0.874): no DU.
    design = table_design(BOIN_30)
    assert design.state(parse_outcomes("2NTT 1NNN 2TNN")).eliminated_from is None
    assert design.state(parse_outcomes("2NTT 2T")).eliminated_from == 2


def test_history_longer_than_the_trial_is_refused() -> None:
    with pytest.raises(DesignInputError, match="argument `history` got 25; expected at most 24"):
        table_design(BOIN_30).decide(parse_outcomes("1" + "N" * 25))


@pytest.mark.parametrize(
    ("options", "argument"),
    [
        ({"cohort_size": 0}, "cohort_size"),
        ({"max_cohorts": 0}, "max_cohorts"),
        ({"start_level": 7}, "level"),
    ],
)
def test_bad_design_inputs_are_refused_by_name(options: dict[str, object], argument: str) -> None:
    base: dict[str, object] = {"max_cohorts": MAX_COHORTS, "cohort_size": COHORT}
    with pytest.raises(DesignInputError, match=f"argument `{argument}`"):
        TableDesign(LADDER, BOIN_30, SELECTOR, **(base | options))  # type: ignore[arg-type]


def test_a_table_smaller_than_the_trial_is_refused() -> None:
    with pytest.raises(DesignInputError, match="expected a table up to n = 24"):
        table_design(boin_table(0.3, 12))


# --- a loaded table drives a trial exactly as the built-in one -----------------------------------

LOADED = DecisionTable.from_json(BOIN_30.to_json())


@given(histories)
def test_loaded_table_decides_as_the_built_in_one(history: tuple[SubjectOutcome, ...]) -> None:
    built_in = Boin(0.3, LADDER, MAX_COHORTS, COHORT)
    assert table_design(LOADED).decide(history) == built_in.decide(history)


# --- the contract every table design keeps -------------------------------------------------------

DESIGNS: dict[str, Boin | TableDesign] = {
    "boin": Boin(0.3, LADDER, MAX_COHORTS, COHORT),
    "boin-extrasafe-earlystop": Boin(
        0.3, LADDER, MAX_COHORTS, COHORT, extrasafe=True, n_earlystop=9
    ),
    "keyboard": table_design(keyboard_table(0.3, 24)),
    "mtpi2": table_design(mtpi2_table(0.25, 24), start_level=2),
    "i3+3": table_design(i3plus3_table(0.25, 24)),
    "loaded": table_design(LOADED),
}


@pytest.mark.parametrize("name", sorted(DESIGNS))
@settings(max_examples=60)
@given(draws=dlt_draws)
def test_contract_on_trials_run_by_the_design(name: str, draws: list[bool]) -> None:
    design = DESIGNS[name]
    labels, table = design.ladder.labels, design.table
    steps = run(design, draws)
    assert steps[0][1].next_level == design.start
    assert len(steps) <= MAX_COHORTS + 1
    eliminated_from = len(labels)
    for history, decision in steps:
        assert decision.rule.count(".") == 1
        assert decision.reason
        assert [label for label, _ in decision.counts] == list(labels)
        assert sum(c.n for _, c in decision.counts) == len(history)
        assert sum(c.y for _, c in decision.counts) == sum(s.dlt for s in history)
        if history:
            d = labels.index(history[-1].level)
            here = decision.counts[d][1]
            if table.action(here.n, here.y) is Action.ELIMINATE:
                eliminated_from = min(eliminated_from, d)
        assert decision.stop == (decision.next_level is None)
        if decision.next_level is not None:
            assert labels.index(decision.next_level) < eliminated_from
        assert decision.mtd is None or labels.index(decision.mtd) < eliminated_from
    assert steps[-1][1].stop
