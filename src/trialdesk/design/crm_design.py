"""The CRM and TITE-CRM as a :class:`~trialdesk.design.decision.Design`.

``decide`` fits the model (:mod:`trialdesk.design.crm`) to the history, then applies its rules
in this order, and the first that decides, or the last that overrides the dose, names itself:

1. ``crm.start``: no subject yet, the start level.
2. ``crm.safety_stop`` (``safety_cutoff`` set): stop with no MTD when the posterior probability
   that the lowest level's DLT rate exceeds the target is above the cutoff.
3. ``crm.stop_max_n``: ``max_n`` subjects treated; the MTD is the model's dose, unrestricted, as
   dfcrm's final ``crm`` call selects it.
4. ``crm.model_recommends``: the dose whose estimated DLT probability is closest to the target.
5. ``crm.no_skip`` (``no_skip``): never more than one level above the highest level tried.
6. ``crm.coherence`` (``coherence``): no escalation right after a DLT in the last cohort
   (Cheung 2005, Biometrika 92:863). dfcrm's simulators apply a close variant, the last
   cohort's DLT rate at or above the target, and cap at one level above the last one.

TITE-CRM (``window_days`` set; Cheung & Chappell 2000, Biometrics 56:1177): a subject without
a DLT and with ``followup_days`` short of the window weighs less than 1
(:func:`compute_tite_weights`).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from trialdesk.design.crm import (
    CrmData,
    CrmModel,
    CrmPosterior,
    Estimation,
    ModelName,
    compute_posterior,
    fit_crm,
)
from trialdesk.design.decision import Decision, ModelFit
from trialdesk.design.history import DoseCounts, DoseLadder, Label, SubjectOutcome
from trialdesk.errors import DesignInputError

__all__ = ["CrmDesign", "TiteScheme", "compute_closest_dose", "compute_tite_weights"]

TiteScheme = Literal["linear", "adaptive"]

_VAGUE_PRIOR_VAR = 500.0**2  # dfcrm's stand-in for the MLE while it does not exist


def compute_closest_dose(p_tox: Sequence[float], target: float) -> int:
    """The position of the dose closest to the target, the lowest on a tie.

    dfcrm's recommendation (``crm``: ``order(abs(ptox - target))[1]``).
    """
    distances = [abs(p - target) for p in p_tox]
    return distances.index(min(distances))


def _check_tite(window_days: float, scheme: str) -> None:
    if not window_days > 0.0 or math.isinf(window_days):
        raise DesignInputError("window_days", window_days, "a finite number of days above 0")
    if scheme not in ("linear", "adaptive"):
        raise DesignInputError("scheme", scheme, "'linear' or 'adaptive'")


def _check_followup(followup: Sequence[float | None]) -> None:
    for days in followup:
        if days is not None and not days >= 0.0:
            raise DesignInputError("followup_days", days, "a number of days at or above 0")


def _adaptive_weight(days: float, support: Sequence[float], window: float) -> float:
    """Cheung & Chappell's adaptive weight, as dfcrm's ``titecrm(scheme = "adaptive")``.

    With ``z`` DLT days ``s_1 <= ... <= s_z`` and ``m`` of them at or before ``days``: the
    weight is ``(m + fraction of the way from s_m to s_{m+1}) / (z + 1)``, with ``s_0 = 0`` and
    ``s_{z+1}`` the window's end.
    """
    if days >= window:
        return 1.0
    z, m = len(support), bisect.bisect_right(support, days)
    lower = support[m - 1] if m else 0.0
    upper = support[m] if m < z else window
    return min((m + (days - lower) / (upper - lower)) / (z + 1), 1.0)


def _dlt_days(followup: Sequence[float | None], dlt: Sequence[bool], window: float) -> list[float]:
    days = []
    for position, (value, toxic) in enumerate(zip(followup, dlt, strict=True), start=1):
        if not toxic:
            continue
        if value is None or value > window:
            expected = f"the day of subject {position}'s DLT, within the {window:g}-day window"
            raise DesignInputError("followup_days", value, expected)
        days.append(value)
    return sorted(days)


def compute_tite_weights(
    followup: Sequence[float | None],
    dlt: Sequence[bool],
    window_days: float,
    scheme: TiteScheme = "linear",
) -> tuple[float, ...]:
    """TITE-CRM weights, one per subject: 1 for a DLT or a complete window (``None``).

    ``linear``: ``min(followup / window, 1)``. ``adaptive``: :func:`_adaptive_weight`, from the
    days of the DLTs seen so far (a DLT subject's ``followup`` is the day of its DLT; needed
    only while some subject is still inside the window).

    Raises:
        DesignInputError: a window not above 0, a negative follow-up, an unknown scheme, or
            (adaptive) a missing DLT day or one after the window.
    """
    _check_tite(window_days, scheme)
    if len(followup) != len(dlt):
        raise DesignInputError("followup", followup, f"one value per DLT flag ({len(dlt)})")
    _check_followup(followup)
    pending = [
        not toxic and days is not None and days < window_days
        for days, toxic in zip(followup, dlt, strict=True)
    ]
    if not any(pending):
        return (1.0,) * len(pending)
    support = _dlt_days(followup, dlt, window_days) if scheme == "adaptive" else []
    weights = []
    for days, waiting in zip(followup, pending, strict=True):
        if not waiting or days is None:
            weights.append(1.0)
        elif support:
            weights.append(_adaptive_weight(days, support, window_days))
        else:
            weights.append(days / window_days)
    return tuple(weights)


@dataclass(frozen=True, slots=True)
class _Step:
    """One rule's verdict: a dose position (``None`` to stop), the MTD position, why."""

    level: int | None
    rule: str
    reason: str
    mtd: int | None = None


@dataclass(frozen=True, slots=True, init=False)
class CrmDesign:
    """The continual reassessment method (O'Quigley, Pepe & Fisher 1990), or TITE-CRM.

    Options and defaults: ``start`` the lowest level, ``cohort_size`` 1, ``model`` empiric,
    ``prior_var`` 1.34, ``intercept`` 3 (logistic only), ``estimation`` bayes, ``conf_level``
    0.90, ``no_skip`` and ``coherence`` on, ``safety_cutoff`` off, ``window_days`` off (plain
    CRM), ``scheme`` linear. With ``estimation="mle"`` and no DLT yet (or only DLTs), the MLE does
    not exist; then ``β`` is estimated under a vague ``N(0, 500²)`` prior, as dfcrm's
    simulators do, and the reason says so. The safety rule uses the Bayesian posterior under
    ``prior_var`` whatever the estimation.

    Raises:
        DesignInputError: any option outside its domain, named with the value it got.
    """

    ladder: DoseLadder
    skeleton: tuple[float, ...]
    target: float
    max_n: int
    start: Label
    cohort_size: int
    model: ModelName
    prior_var: float
    intercept: float
    estimation: Estimation
    conf_level: float
    no_skip: bool
    coherence: bool
    safety_cutoff: float | None
    window_days: float | None
    scheme: TiteScheme
    _crm: CrmModel = field(repr=False, compare=False)
    _vague: CrmModel | None = field(repr=False, compare=False)
    _positions: dict[Label, int] = field(repr=False, compare=False)

    def __init__(  # noqa: PLR0913 -- a design's named options are its keyword arguments
        self,
        ladder: DoseLadder,
        skeleton: Sequence[float],
        target: float,
        *,
        max_n: int,
        start: Label | None = None,
        cohort_size: int = 1,
        model: ModelName = "empiric",
        prior_var: float = 1.34,
        intercept: float = 3.0,
        estimation: Estimation = "bayes",
        conf_level: float = 0.90,
        no_skip: bool = True,
        coherence: bool = True,
        safety_cutoff: float | None = None,
        window_days: float | None = None,
        scheme: TiteScheme = "linear",
    ) -> None:
        values = dict(locals())  # every parameter becomes the field of the same name
        del values["self"]
        values["skeleton"] = tuple(skeleton)
        values["start"] = ladder.lowest if start is None else start
        for name, value in values.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_crm", CrmModel(self.skeleton, model, intercept, prior_var))
        vague = CrmModel(self.skeleton, model, intercept, _VAGUE_PRIOR_VAR)
        object.__setattr__(self, "_vague", vague if estimation == "mle" else None)
        object.__setattr__(self, "_positions", {label: i for i, label in enumerate(ladder.labels)})
        self._validate()

    def _validate(self) -> None:
        if len(self.skeleton) != len(self.ladder):
            expected = f"one value per dose level ({len(self.ladder)})"
            raise DesignInputError("skeleton", self.skeleton, expected)
        self.ladder.index(self.start)
        for name in ("target", "conf_level", "safety_cutoff"):
            value = getattr(self, name)
            if value is not None and not 0.0 < value < 1.0:
                raise DesignInputError(name, value, "a number strictly between 0 and 1")
        for name in ("max_n", "cohort_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise DesignInputError(name, value, "a whole number of subjects, at least 1")
        if self.estimation not in ("bayes", "mle"):
            raise DesignInputError("estimation", self.estimation, "'bayes' or 'mle'")
        if self.window_days is not None:
            _check_tite(self.window_days, self.scheme)
        elif self.scheme != "linear":
            raise DesignInputError("scheme", self.scheme, "'linear' unless window_days is set")

    @property
    def name(self) -> str:
        """``TITE-CRM`` with a DLT window, else ``CRM``."""
        return "CRM" if self.window_days is None else "TITE-CRM"

    def decide(self, history: Sequence[SubjectOutcome]) -> Decision:
        """The next level after ``history``, with the fit and the rule that set it."""
        counts, data = self._tally(history)
        posterior = compute_posterior(self._crm, data)
        fit, note = self._fit(data, posterior)
        step = (
            _Step(self.ladder.index(self.start), "crm.start", "No subject treated yet: start.")
            if not history
            else self._stop(history, posterior, fit, note) or self._next(history, counts, fit, note)
        )
        labels = self.ladder.labels
        return Decision(
            next_level=None if step.level is None else labels[step.level],
            stop=step.level is None,
            mtd=None if step.mtd is None else labels[step.mtd],
            rule=step.rule,
            reason=step.reason,
            counts=tuple(zip(labels, counts, strict=True)),
            fit=fit,
        )

    def _tally(self, history: Sequence[SubjectOutcome]) -> tuple[tuple[DoseCounts, ...], CrmData]:
        """Per-dose counts and the likelihood's data, in one pass over the history."""
        n, y, levels = [0] * len(self.ladder), [0] * len(self.ladder), []
        for subject in history:
            level = self._positions.get(subject.level)
            if level is None:
                level = self.ladder.index(subject.level)  # refuses the unknown label by name
            n[level] += 1
            y[level] += subject.dlt
            levels.append(level)
            days = subject.followup_days
            if days is not None and not days >= 0.0:
                raise DesignInputError("followup_days", days, "a number of days at or above 0")
        counts = tuple(DoseCounts(n_i, y_i) for n_i, y_i in zip(n, y, strict=True))
        if self.window_days is None:
            complete = tuple(n_i - y_i for n_i, y_i in zip(n, y, strict=True))
            return counts, CrmData(tuple(y), complete)
        followup = [s.followup_days for s in history]
        dlt = [s.dlt for s in history]
        weights = compute_tite_weights(followup, dlt, self.window_days, self.scheme)
        return counts, CrmData.from_subjects(len(self.ladder), levels, dlt, weights)

    def _fit(self, data: CrmData, posterior: CrmPosterior) -> tuple[ModelFit, str]:
        if self.estimation == "bayes":
            return posterior.to_fit(self.conf_level), ""
        if self._vague is None or data.mle_exists:
            return fit_crm(self._crm, data, estimation="mle", conf_level=self.conf_level), ""
        note = (
            " The MLE needs a DLT and a subject without one; until then β is estimated under a"
            " vague N(0, 500²) prior, as dfcrm does."
        )
        return fit_crm(self._vague, data, conf_level=self.conf_level), note

    def _label(self, position: int) -> Label:
        return self.ladder.labels[position]

    def _estimate(self, fit: ModelFit, position: int) -> str:
        return (
            f"estimated DLT probability {fit.p_tox[position]:.3f}, {self.conf_level:.0%} interval"
            f" {fit.p_tox_lower[position]:.3f} to {fit.p_tox_upper[position]:.3f}"
        )

    def _stop(
        self, history: Sequence[SubjectOutcome], posterior: CrmPosterior, fit: ModelFit, note: str
    ) -> _Step | None:
        if self.safety_cutoff is not None:
            risk = posterior.prob_above(0, self.target)
            if risk > self.safety_cutoff:
                reason = (
                    f"Stop, no MTD: the posterior probability that level {self.ladder.lowest}'s"
                    f" DLT rate exceeds the target {self.target:g} is {risk:.3f}, above the"
                    f" safety cutoff {self.safety_cutoff:g}."
                )
                return _Step(None, "crm.safety_stop", reason)
        if len(history) < self.max_n:
            return None
        treated = f"Stop: {len(history)} subjects treated, the maximum ({self.max_n})."
        pending = len(posterior.data.partial)
        if pending:
            reason = f"{treated} {pending} still inside the DLT window: the MTD waits for them."
            return _Step(None, "crm.stop_max_n", reason)
        mtd = compute_closest_dose(fit.p_tox, self.target)
        reason = (
            f"{treated} MTD: level {self._label(mtd)}, the closest to the target"
            f" {self.target:g} ({self._estimate(fit, mtd)}).{note}"
        )
        return _Step(None, "crm.stop_max_n", reason, mtd)

    def _next(
        self,
        history: Sequence[SubjectOutcome],
        counts: tuple[DoseCounts, ...],
        fit: ModelFit,
        note: str,
    ) -> _Step:
        best = compute_closest_dose(fit.p_tox, self.target)
        model = (
            f"level {self._label(best)} is the closest to the target {self.target:g}"
            f" ({self._estimate(fit, best)}).{note}"
        )
        step = _Step(best, "crm.model_recommends", f"Treat at level {self._label(best)}: {model}")
        if self.no_skip:
            highest = max(i for i, c in enumerate(counts) if c.n)
            why = f"one above the highest level tried, {self._label(highest)}; no level is skipped"
            step = self._cap(step, highest + 1, "crm.no_skip", f"{why}. In the model, {model}")
        if self.coherence and any(s.dlt for s in history[-self.cohort_size :]):
            why = "the last cohort had a DLT, so no escalation"
            last = self._positions[history[-1].level]
            step = self._cap(step, last, "crm.coherence", f"{why}. In the model, {model}")
        return step

    def _cap(self, step: _Step, ceiling: int, rule: str, reason: str) -> _Step:
        ceiling = min(ceiling, len(self.ladder) - 1)
        if step.level is None or step.level <= ceiling:
            return step
        return _Step(ceiling, rule, f"Treat at level {self._label(ceiling)}: {reason}")
