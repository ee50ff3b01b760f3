"""Decision tables (n treated, y DLTs -> E / S / D / DU) and the design that runs one.

Interval designs (BOIN, Keyboard, mTPI-2, i3+3) all reduce to such a table: the action
for the counts at the current dose. A table is data: it reads from and writes to JSON
``{"<n>": {"<y>": "E" | "S" | "D" | "DU"}}``, so a protocol's printed table, reviewed and
signed, drives a trial exactly as a built-in one (a feature requested of the R packages).

:class:`TableDesign` applies, in this order: the start level; ``table.stop_lowest_eliminated``
(DU at the lowest dose: stop, no MTD); ``table.stop_max_n`` (``max_cohorts * cohort_size``
subjects treated: stop, MTD by the selector); then the table's action at the current dose.
DU eliminates the dose and every dose above for the rest of the trial; E at the highest
admissible dose and D at the lowest become "stay". Elimination is checked after each
cohort (a run of up to ``cohort_size`` consecutive subjects at one level), as BOIN
``get.oc`` and Keyboard ``get.oc.kb`` check it.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from trialdesk.design.decision import Decision
from trialdesk.design.history import DoseCounts, DoseLadder, Label, SubjectOutcome
from trialdesk.design.isotonic import MtdSelection
from trialdesk.errors import DesignInputError

__all__ = ["Action", "Boundary", "DecisionTable", "MtdSelector", "TableDesign", "TrialState"]

_FORMAT = 'a JSON object {"<n>": {"<y>": "E" | "S" | "D" | "DU"}} for n = 1..max_n, y = 0..n'


class Action(enum.Enum):
    """What the counts at the current dose call for, least to most cautious."""

    ESCALATE = "E"
    STAY = "S"
    DEESCALATE = "D"
    ELIMINATE = "DU"

    @property
    def caution(self) -> int:
        """0 for E up to 3 for DU: more DLTs must never lower it."""
        return list(Action).index(self)


@dataclass(frozen=True, slots=True)
class Boundary:
    """One column of a boundary table as BOIN ``get.boundary`` prints it (``None``: no such y)."""

    n: int
    escalate_at_most: int | None
    deescalate_at_least: int | None
    eliminate_at_least: int | None


def _monotone_violations(rows: tuple[tuple[Action, ...], ...]) -> list[tuple[int, int]]:
    return [
        (n, y)
        for n, row in enumerate(rows, start=1)
        for y in range(1, n + 1)
        if row[y].caution < row[y - 1].caution
    ]


@dataclass(frozen=True, slots=True)
class DecisionTable:
    """``rows[n - 1][y]`` is the action for ``y`` DLTs among ``n`` treated at the dose."""

    rows: tuple[tuple[Action, ...], ...]

    def __post_init__(self) -> None:
        if not self.rows:
            raise DesignInputError("table", self.rows, "at least the row n = 1")
        for n, row in enumerate(self.rows, start=1):
            if len(row) != n + 1 or not all(isinstance(a, Action) for a in row):
                raise DesignInputError(f'table["{n}"]', row, f"{n + 1} actions, for y = 0..{n}")
        violations = _monotone_violations(self.rows)
        if violations:
            n, y = violations[0]
            more = "".join(f"; also n={m} y={k}" for m, k in violations[1:])
            raise DesignInputError(
                f'table["{n}"]["{y}"]',
                self.rows[n - 1][y].value,
                f"an action at least as cautious as {self.rows[n - 1][y - 1].value!r} at "
                f"y={y - 1}: more DLTs never give a more aggressive action{more}",
            )

    @property
    def max_n(self) -> int:
        """The largest number treated at one dose that the table covers."""
        return len(self.rows)

    def action(self, n: int, y: int) -> Action:
        """The action for ``y`` DLTs among ``n`` treated."""
        if not 1 <= n <= self.max_n or not 0 <= y <= n:
            raise DesignInputError("n, y", (n, y), f"1 <= n <= {self.max_n} and 0 <= y <= n")
        return self.rows[n - 1][y]

    @classmethod
    def from_rule(cls, max_n: int, rule: Callable[[int, int], Action]) -> DecisionTable:
        """Tabulate ``rule(n, y)`` for n = 1..max_n, y = 0..n."""
        return cls(tuple(tuple(rule(n, y) for y in range(n + 1)) for n in range(1, max_n + 1)))

    @classmethod
    def from_json(cls, text: str) -> DecisionTable:
        """Read the JSON form; refuses a malformed or non-monotone table, naming the cell."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DesignInputError("table", text[:40], f"{_FORMAT} ({exc.msg})") from None
        return cls.from_mapping(data)

    @classmethod
    def from_mapping(cls, data: object) -> DecisionTable:
        """Read ``{"<n>": {"<y>": code}}`` as parsed from JSON."""
        if not isinstance(data, Mapping) or not data:
            raise DesignInputError("table", data, _FORMAT)
        _check_keys("table", data, 1, len(data))
        return cls(tuple(_row(n, data[str(n)]) for n in range(1, len(data) + 1)))

    def to_mapping(self) -> dict[str, dict[str, str]]:
        """The JSON-ready mapping."""
        return {
            str(n): {str(y): a.value for y, a in enumerate(row)}
            for n, row in enumerate(self.rows, start=1)
        }

    def to_json(self) -> str:
        """The JSON form, one line per n so that a reviewer can read it."""
        lines = [f'  "{n}": {json.dumps(row)}' for n, row in self.to_mapping().items()]
        return "{\n" + ",\n".join(lines) + "\n}\n"

    def boundaries(self) -> tuple[Boundary, ...]:
        """Escalate/de-escalate/eliminate counts per n (``get.boundary``'s full table)."""
        out = []
        for n, row in enumerate(self.rows, start=1):
            esc = [y for y, a in enumerate(row) if a is Action.ESCALATE]
            down = [y for y, a in enumerate(row) if a.caution >= Action.DEESCALATE.caution]
            out_ = [y for y, a in enumerate(row) if a is Action.ELIMINATE]
            out.append(
                Boundary(
                    n,
                    max(esc) if esc else None,
                    min(down) if down else None,
                    min(out_) if out_ else None,
                )
            )
        return tuple(out)


def _check_keys(where: str, data: Mapping[object, object], first: int, last: int) -> None:
    expected = {str(k) for k in range(first, last + 1)}
    if set(data) != expected:
        missing = sorted(expected - set(data), key=int)
        extra = sorted(str(k) for k in set(data) - expected)
        raise DesignInputError(
            where,
            sorted(str(k) for k in data),
            f"keys {first}..{last}; missing {missing}, unexpected {extra}",
        )


def _row(n: int, row: object) -> tuple[Action, ...]:
    where = f'table["{n}"]'
    if not isinstance(row, Mapping):
        raise DesignInputError(where, row, f'an object {{"<y>": code}} for y = 0..{n}')
    _check_keys(where, row, 0, n)
    codes = {a.value: a for a in Action}
    actions = []
    for y in range(n + 1):
        code = row[str(y)]
        if not isinstance(code, str) or code not in codes:
            raise DesignInputError(f'{where}["{y}"]', code, 'one of "E", "S", "D", "DU"')
        actions.append(codes[code])
    return tuple(actions)


class MtdSelector(Protocol):
    """Chooses the MTD when a trial stops: counts in ladder order, the trial's eliminations."""

    def select(
        self, ladder: DoseLadder, counts: Sequence[DoseCounts], eliminated_from: int | None
    ) -> MtdSelection:
        """The selected MTD with its reason."""
        ...


@dataclass(frozen=True, slots=True)
class TrialState:
    """What a history amounts to: per-dose counts, the current dose, the eliminated doses.

    Positions are ladder indices; ``eliminated_from`` is the lowest eliminated dose (all
    above are eliminated too), ``None`` when none is.
    """

    counts: tuple[DoseCounts, ...]
    current: int | None
    eliminated_from: int | None

    @property
    def highest_admissible(self) -> int:
        """Position of the highest dose not eliminated (-1 when all are)."""
        return (len(self.counts) if self.eliminated_from is None else self.eliminated_from) - 1


@dataclass(frozen=True, slots=True)
class TableDesign:
    """A design driven by a :class:`DecisionTable` (see the module notes for the rules)."""

    ladder: DoseLadder
    table: DecisionTable
    selector: MtdSelector
    max_cohorts: int
    cohort_size: int = 3
    start_level: Label | None = None
    name: str = "table"

    def __post_init__(self) -> None:
        if self.cohort_size < 1:
            raise DesignInputError("cohort_size", self.cohort_size, "an integer >= 1")
        if self.max_cohorts < 1:
            raise DesignInputError("max_cohorts", self.max_cohorts, "an integer >= 1")
        if self.table.max_n < self.max_subjects:
            raise DesignInputError(
                "table", f"max_n = {self.table.max_n}", f"a table up to n = {self.max_subjects}"
            )
        if self.start_level is not None:
            self.ladder.index(self.start_level)

    @property
    def start(self) -> Label:
        """The first cohort's level (the lowest unless ``start_level`` is given)."""
        return self.ladder.lowest if self.start_level is None else self.start_level

    @property
    def max_subjects(self) -> int:
        """The trial's maximum sample size, ``max_cohorts * cohort_size``."""
        return self.max_cohorts * self.cohort_size

    def state(self, history: Sequence[SubjectOutcome]) -> TrialState:
        """Replay the history cohort by cohort: counts, current dose, eliminations."""
        if len(history) > self.max_subjects:
            raise DesignInputError(
                "history",
                len(history),
                f"at most {self.max_subjects} subjects (max_cohorts x cohort_size)",
            )
        n, y = [0] * len(self.ladder), [0] * len(self.ladder)
        eliminated: int | None = None
        run = 0
        for i, subject in enumerate(history):
            d = self.ladder.index(subject.level)
            run = run + 1 if i and history[i - 1].level == subject.level else 1
            n[d], y[d] = n[d] + 1, y[d] + int(subject.dlt)
            last_of_run = i + 1 == len(history) or history[i + 1].level != subject.level
            if (run % self.cohort_size == 0 or last_of_run) and self.table.action(
                n[d], y[d]
            ) is Action.ELIMINATE:
                eliminated = d if eliminated is None else min(eliminated, d)
        counts = tuple(DoseCounts(a, b) for a, b in zip(n, y, strict=True))
        current = self.ladder.index(history[-1].level) if history else None
        return TrialState(counts, current, eliminated)

    def decide(self, history: Sequence[SubjectOutcome]) -> Decision:
        """The decision after ``history``."""
        return self.decide_from(self.state(history))

    def decide_from(self, state: TrialState) -> Decision:
        """The decision for a replayed state (wrappers such as BOIN's rules start here)."""
        counts = tuple(zip(self.ladder.labels, state.counts, strict=True))
        if state.current is None:
            return Decision(
                self.start,
                False,
                None,
                "table.start",
                f"no subject yet: start at level {self.start}",
                counts,
            )
        if state.eliminated_from == 0:
            reason = (
                f"the lowest level {self.ladder.lowest} is eliminated as overly toxic: stop, no MTD"
            )
            return Decision(None, True, None, "table.stop_lowest_eliminated", reason, counts)
        treated = sum(c.n for c in state.counts)
        if treated >= self.max_subjects:
            chosen = self.selector.select(self.ladder, state.counts, state.eliminated_from)
            reason = f"the maximum sample size {self.max_subjects} is reached; {chosen.reason}"
            return Decision(None, True, chosen.mtd, "table.stop_max_n", reason, counts)
        return self._move(state, state.current, counts)

    def _move(
        self, state: TrialState, d: int, counts: tuple[tuple[Label, DoseCounts], ...]
    ) -> Decision:
        c = state.counts[d]
        action = self.table.action(c.n, c.y)
        labels, top = self.ladder.labels, state.highest_admissible
        seen = f"{c} at level {labels[d]} gives {action.value}"
        if d > top:
            rule = "table.eliminate" if action is Action.ELIMINATE else "table.leave_eliminated"
            first = labels[top + 1]
            return self._go(
                top,
                rule,
                f"{seen}; level {first} and above are eliminated: go to {labels[top]}",
                counts,
            )
        if action is Action.ESCALATE and d == top:
            return self._go(
                d,
                "table.stay_at_highest",
                f"{seen}, but no higher level is admissible: stay",
                counts,
            )
        if action is Action.ESCALATE:
            return self._go(d + 1, "table.escalate", f"{seen}: escalate to {labels[d + 1]}", counts)
        if action is Action.DEESCALATE and d == 0:
            return self._go(
                d, "table.stay_at_lowest", f"{seen}, but it is the lowest level: stay", counts
            )
        if action is Action.DEESCALATE:
            return self._go(
                d - 1, "table.deescalate", f"{seen}: de-escalate to {labels[d - 1]}", counts
            )
        return self._go(d, "table.stay", f"{seen}: stay", counts)

    def _go(
        self, index: int, rule: str, reason: str, counts: tuple[tuple[Label, DoseCounts], ...]
    ) -> Decision:
        return Decision(self.ladder.labels[index], False, None, rule, reason, counts)
