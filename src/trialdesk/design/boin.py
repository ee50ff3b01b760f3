"""BOIN: the Bayesian optimal interval design (Liu & Yuan 2015, JRSS-C 64:507).

Conventions of the BOIN R package 2.7.2, read in its source (GPL; facts only):

* ``get.boundary``:
  ``lambda_e = log((1-p_saf)/(1-target)) / log(target(1-p_saf)/(p_saf(1-target)))``,
  ``lambda_d = log((1-target)/(1-p_tox)) / log(p_tox(1-target)/(target(1-p_tox)))``;
  escalate if ``y <= floor(lambda_e * n)``; de-escalate if ``y >= ceiling(lambda_d * n)``,
  where an exact integer ``lambda_d * n`` (within 1e-12) counts as ``round + 1``;
  eliminate if ``n >= 3`` and ``1 - pbeta(target, y+1, n-y+1) > cutoff.eli`` (smallest such
  y), and the de-escalation count is lowered to the elimination count when larger.
  It refuses ``target < 0.05`` or ``> 0.6``, ``target - p.saf < 0.1 * target``,
  ``p.tox - target < 0.1 * target`` and ``offset >= 0.5``.
* ``get.oc`` (one trial): after each cohort at dose d, first the sample-size cap (the
  trial ends when ``ncohort * cohortsize`` are treated), then elimination (d and above;
  d the lowest -> stop, no MTD), then ``extrasafe`` -- checked only at the lowest dose,
  with ``n >= 3`` and only where the table has an elimination count for that n:
  ``P(p1 > target) > cutoff.eli - offset`` -> stop, no MTD. Then ``n.earlystop``: stop
  when ``n[d] >= n.earlystop`` *and* the next dose would be d itself (stay, E at the
  highest admissible dose, D at the lowest). Escalation skips an eliminated next dose
  (stay); de-escalation goes to d - 1.
* ``titration`` (``get.oc``): one subject per dose, escalating, until the first DLT or the
  highest dose; that dose then gets ``cohortsize - 1`` more subjects (a full cohort) and
  the trial goes on by the table, in cohorts of ``cohortsize``, up to
  ``ncohort * cohortsize`` subjects in all (the titration subjects count; the last cohort
  is cut short at that cap). A cohort size of 1 turns titration off. No elimination can
  fire in titration (it needs n >= 3). The package's code titrates from dose 1 whatever
  ``startdose`` is, while its documentation says "starting from startdose"; we titrate
  from the start level, as documented; the two agree for the default start.
* The MTD is chosen by ``select.mtd`` (:mod:`trialdesk.design.isotonic`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from trialdesk.design.decision import Decision
from trialdesk.design.decision_table import Action, DecisionTable, TableDesign, TrialState
from trialdesk.design.history import DoseLadder, Label, SubjectOutcome
from trialdesk.design.isotonic import (
    IsotonicSelector,
    OverdoseRule,
    SelectOptions,
    prob_above_target,
)
from trialdesk.errors import DesignInputError

__all__ = ["Boin", "boin_boundaries", "boin_table"]

# get.boundary: lambda_d * n this close to an integer counts as that integer.
_INTEGER_TOLERANCE = 1e-12


def _checked_rates(target: float, p_saf: float | None, p_tox: float | None) -> tuple[float, float]:
    if not 0.05 <= target <= 0.6:
        raise DesignInputError(
            "target", target, "a target DLT rate in [0.05, 0.6] (BOIN get.boundary)"
        )
    saf = 0.6 * target if p_saf is None else p_saf
    tox = 1.4 * target if p_tox is None else p_tox
    if not (saf > 0 and target - saf >= 0.1 * target):
        raise DesignInputError(
            "p_saf", saf, f"a rate in (0, {0.9 * target:g}]: below the target by >= 10 %"
        )
    if not (tox < 1 and tox - target >= 0.1 * target):
        raise DesignInputError(
            "p_tox", tox, f"a rate in [{1.1 * target:g}, 1): above the target by >= 10 %"
        )
    return saf, tox


def boin_boundaries(
    target: float, p_saf: float | None = None, p_tox: float | None = None
) -> tuple[float, float]:
    """``(lambda_e, lambda_d)``: the escalation and de-escalation boundaries on ``y / n``.

    Liu & Yuan (2015), the local BOIN closed forms with equal prior interval weights;
    ``p_saf`` defaults to 0.6 x target and ``p_tox`` to 1.4 x target (BOIN ``get.boundary``).
    """
    saf, tox = _checked_rates(target, p_saf, p_tox)
    lambda_e = math.log((1 - saf) / (1 - target)) / math.log(
        target * (1 - saf) / (saf * (1 - target))
    )
    lambda_d = math.log((1 - target) / (1 - tox)) / math.log(
        tox * (1 - target) / (target * (1 - tox))
    )
    return lambda_e, lambda_d


def boin_table(
    target: float,
    max_n: int,
    *,
    p_saf: float | None = None,
    p_tox: float | None = None,
    cutoff_eli: float = 0.95,
) -> DecisionTable:
    """The BOIN decision table for n = 1..max_n, as ``get.boundary``'s ``full_boundary_tab``.

    A cohort size only selects which columns the package prints; the table holds every n.
    """
    if max_n < 1:
        raise DesignInputError("max_n", max_n, "an integer >= 1")
    lambda_e, lambda_d = boin_boundaries(target, p_saf, p_tox)
    overdose = OverdoseRule(cutoff_eli)

    def rule(n: int, y: int) -> Action:
        if overdose.eliminates(target, n, y):
            return Action.ELIMINATE
        if y <= math.floor(lambda_e * n):
            return Action.ESCALATE
        x = lambda_d * n
        deescalate_at = round(x) + 1 if abs(round(x) - x) < _INTEGER_TOLERANCE else math.ceil(x)
        return Action.DEESCALATE if y >= deescalate_at else Action.STAY

    return DecisionTable.from_rule(max_n, rule)


@dataclass(frozen=True, slots=True)
class Boin:
    """The BOIN design with the package's options and defaults (``boundMTD`` is ``bound_mtd``).

    ``max_cohorts`` is the package's ``ncohort``; ``start_level`` its ``startdose`` (by label).
    Decisions come from the BOIN table run by :class:`TableDesign`, then two BOIN rules in
    this order: ``boin.extrasafe`` and ``boin.early_stop_n`` (see the module notes). With
    ``titration`` the trial opens with cohorts of one (``boin.titration_*`` rules).
    """

    target: float
    ladder: DoseLadder
    max_cohorts: int
    cohort_size: int = 3
    start_level: Label | None = None
    p_saf: float | None = None
    p_tox: float | None = None
    n_earlystop: int = 100
    extrasafe: bool = False
    offset: float = 0.05
    cutoff_eli: float = 0.95
    bound_mtd: bool = False
    titration: bool = False
    name: str = "BOIN"
    _design: TableDesign = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 < self.offset < 0.5:
            raise DesignInputError(
                "offset", self.offset, "a number in (0, 0.5) (BOIN get.boundary)"
            )
        if self.n_earlystop < 1:
            raise DesignInputError("n_earlystop", self.n_earlystop, "an integer >= 1")
        if self.cohort_size < 1:
            raise DesignInputError("cohort_size", self.cohort_size, "an integer >= 1")
        if self.max_cohorts < 1:
            raise DesignInputError("max_cohorts", self.max_cohorts, "an integer >= 1")
        options = SelectOptions(
            self.cutoff_eli, self.extrasafe, self.offset, self.bound_mtd, self.p_tox
        )
        table = boin_table(
            self.target,
            self.max_cohorts * self.cohort_size,
            p_saf=self.p_saf,
            p_tox=self.p_tox,
            cutoff_eli=self.cutoff_eli,
        )
        design = TableDesign(
            self.ladder,
            table,
            IsotonicSelector(self.target, options),
            self.max_cohorts,
            self.cohort_size,
            self.start_level,
            self.name,
        )
        object.__setattr__(self, "_design", design)
        if self.titrates:
            longest = len(self.ladder) - self.ladder.index(self.start) + self.cohort_size - 1
            if longest > design.max_subjects:
                raise DesignInputError(
                    "titration",
                    True,
                    f"False, or max_cohorts x cohort_size >= {longest}: titration through "
                    f"every level then a full cohort needs that many subjects",
                )

    @property
    def titrates(self) -> bool:
        """Whether the trial opens with accelerated titration (off for cohorts of one)."""
        return self.titration and self.cohort_size > 1

    @property
    def start(self) -> Label:
        """The first cohort's level."""
        return self._design.start

    @property
    def table(self) -> DecisionTable:
        """The decision table this design runs (write it with ``to_json`` for the protocol)."""
        return self._design.table

    @property
    def table_design(self) -> TableDesign:
        """The table-driven design underneath BOIN's own rules."""
        return self._design

    def decide(self, history: Sequence[SubjectOutcome]) -> Decision:
        """Table decision, then ``boin.extrasafe``, then ``boin.early_stop_n``."""
        return self.decide_from(self._design.state(history))

    def decide_from(self, state: TrialState) -> Decision:
        """The decision for a replayed state (exact enumeration starts here)."""
        if self.titrates and max(c.n for c in state.counts) <= 1:
            return self._titration(state)
        decision = self._design.decide_from(state)
        decision = self._extrasafe(state, decision)
        decision = self._early_stop_n(state, decision)
        return self._cut_last_cohort(state, decision)

    def _titration(self, state: TrialState) -> Decision:
        """Cohorts of one until the first DLT or the highest level, then a full cohort."""
        counts = tuple(zip(self.ladder.labels, state.counts, strict=True))
        labels, d = self.ladder.labels, state.current
        if d is None:
            level, rule, size = self.start, "boin.titration_start", 1
            reason = f"accelerated titration: one subject at the start level {level}"
        elif any(c.y for c in state.counts) or d == len(labels) - 1:
            level, rule, size = labels[d], "boin.titration_complete", self.cohort_size - 1
            toxic = [str(lab) for lab, c in counts if c.y]
            seen = (
                f"DLT at level {', '.join(toxic)}"
                if toxic
                else f"no DLT in titration up to the highest level {level}"
            )
            reason = (
                f"{seen}: titration ends; {size} more subjects there complete a cohort of "
                f"{self.cohort_size}"
            )
        else:
            level, rule, size = labels[d + 1], "boin.titration_escalate", 1
            reason = f"no DLT in 1 subject at level {labels[d]}: titration goes on at {level}"
        return Decision(level, False, None, rule, reason, counts, next_cohort_size=size)

    def _cut_last_cohort(self, state: TrialState, decision: Decision) -> Decision:
        """After titration the cap may fall inside a cohort: the last one is cut short."""
        left = self._design.max_subjects - sum(c.n for c in state.counts)
        if not self.titrates or decision.stop or left >= self.cohort_size:
            return decision
        reason = f"{decision.reason}; {left} subject(s) left to the maximum sample size"
        return replace(decision, reason=reason, next_cohort_size=left)

    def _extrasafe(self, state: TrialState, decision: Decision) -> Decision:
        if (
            not self.extrasafe
            or state.current != 0
            or decision.rule == "table.stop_lowest_eliminated"
        ):
            return decision
        first = state.counts[0]
        if first.n < 3 or self.table.action(first.n, first.n) is not Action.ELIMINATE:
            return decision
        p = prob_above_target(self.target, first.n, first.y)
        if p <= self.cutoff_eli - self.offset:
            return decision
        reason = (
            f"{first} at the lowest level {self.ladder.lowest}: P(DLT rate > {self.target:g}) = "
            f"{p:.3f} > cutoff_eli - offset = {self.cutoff_eli - self.offset:g}: stop, no MTD"
        )
        return Decision(None, True, None, "boin.extrasafe", reason, decision.counts)

    def _early_stop_n(self, state: TrialState, decision: Decision) -> Decision:
        if decision.stop or state.current is None:
            return decision
        here = state.counts[state.current]
        if here.n < self.n_earlystop or decision.next_level != self.ladder.labels[state.current]:
            return decision
        chosen = self._design.selector.select(self.ladder, state.counts, state.eliminated_from)
        reason = (
            f"{here.n} treated at level {decision.next_level} (n_earlystop = {self.n_earlystop}) "
            f"and the next cohort would stay there; {chosen.reason}"
        )
        return Decision(None, True, chosen.mtd, "boin.early_stop_n", reason, decision.counts)
