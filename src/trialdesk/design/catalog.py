"""Build a configured design from its name and options, as the command line and a study name them.

One place knows every design's option names, their types and defaults, so the
command line, ``study.yaml`` and the API configure designs the same way. The
option names follow the R packages the field uses (BOIN's ``boundMTD``,
``n_earlystop``...); an unknown option or a value of the wrong type is refused
by name, never ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, cast

import numpy as np
from numpy.typing import NDArray

from trialdesk.design.boin import Boin, boin_boundaries, boin_table
from trialdesk.design.crm import Estimation, ModelName
from trialdesk.design.crm_design import CrmDesign, TiteScheme
from trialdesk.design.crm_monte_carlo import run_crm_trials
from trialdesk.design.decision import Design
from trialdesk.design.decision_table import DecisionTable, TableDesign
from trialdesk.design.exact_table import exact_oc_table
from trialdesk.design.exact_three_plus_three import exact_oc as exact_oc_three_plus_three
from trialdesk.design.history import DoseLadder, Label
from trialdesk.design.interval_tables import i3plus3_table, keyboard_table, mtpi2_table
from trialdesk.design.isotonic import IsotonicSelector
from trialdesk.design.oc import OperatingCharacteristics, SimulatedTrials
from trialdesk.design.simulate import (
    draw_tolerances,
    run_table_trials,
    run_three_plus_three_trials,
)
from trialdesk.design.three_plus_three import ThreePlusThree
from trialdesk.design.tite_monte_carlo import run_tite_trials
from trialdesk.errors import DesignInputError

__all__ = [
    "DESIGN_NAMES",
    "MODEL_DESIGNS",
    "OPTION_TYPES",
    "TABLE_DESIGNS",
    "DesignRequest",
    "boin_boundaries_of",
    "build_design",
    "compute_oc",
    "decision_table_of",
]

OptionValue = bool | int | float | str

TABLE_DESIGNS = ("boin", "keyboard", "mtpi2", "i3+3", "table")
MODEL_DESIGNS = ("crm", "tite-crm")
DESIGN_NAMES = ("3+3", *TABLE_DESIGNS, *MODEL_DESIGNS)

_CRM_OPTIONS: Mapping[str, type[OptionValue]] = {
    "no_skip": bool,
    "coherence": bool,
    "model": str,
    "prior_var": float,
    "intercept": float,
    "estimation": str,
    "conf_level": float,
    "safety_cutoff": float,
}

OPTION_TYPES: Mapping[str, Mapping[str, type[OptionValue]]] = {
    "3+3": {"deescalate": bool, "lower_zero_of_three": str, "expand_top": bool},
    "boin": {
        "p_saf": float,
        "p_tox": float,
        "n_earlystop": int,
        "extrasafe": bool,
        "offset": float,
        "cutoff_eli": float,
        "boundMTD": bool,
        "titration": bool,
    },
    "keyboard": {"margin_left": float, "margin_right": float},
    "mtpi2": {"eps1": float, "eps2": float},
    "i3+3": {"eps1": float, "eps2": float},
    "table": {},
    "crm": _CRM_OPTIONS,
    "tite-crm": {**_CRM_OPTIONS, "scheme": str},
}
_CHOICES: Mapping[str, tuple[str, ...]] = {
    "lower_zero_of_three": ("expand", "stop"),
    "model": ("empiric", "logistic"),
    "estimation": ("bayes", "mle"),
    "scheme": ("linear", "adaptive"),
}

DEFAULT_TARGET = 0.30
DEFAULT_MAX_COHORTS = 10


@dataclass(frozen=True, slots=True)
class DesignRequest:
    """Everything needed to configure one design; options already typed."""

    design: str
    labels: tuple[Label, ...]
    start: Label | None = None
    target: float = DEFAULT_TARGET
    cohort_size: int = 3
    max_cohorts: int = DEFAULT_MAX_COHORTS
    options: Mapping[str, OptionValue] = field(default_factory=dict)
    skeleton: tuple[float, ...] | None = None
    window_days: float | None = None
    table: DecisionTable | None = None


def build_design(request: DesignRequest) -> Design:
    """The configured design of ``request``; an unknown design or option is refused by name."""
    _check_options(request)
    ladder = DoseLadder(request.labels)
    if request.design == "3+3":
        return _three_plus_three(request, ladder)
    if request.design == "boin":
        return _boin(request, ladder)
    if request.design in MODEL_DESIGNS:
        return _crm(request, ladder)
    return _table_design(request, ladder)


def decision_table_of(request: DesignRequest, max_n: int) -> DecisionTable:
    """The decision table of an interval design, for n = 1..max_n."""
    _check_options(request)
    if request.design == "boin":
        # Whole cohorts, as a BOIN design of that many subjects would hold.
        subjects = max(1, -(-max_n // request.cohort_size)) * request.cohort_size
        return boin_table(
            request.target,
            subjects,
            p_saf=_float(request.options, "p_saf"),
            p_tox=_float(request.options, "p_tox"),
            cutoff_eli=_float_or(request.options, "cutoff_eli", 0.95),
        )
    if request.design not in TABLE_DESIGNS:
        raise DesignInputError("design", request.design, "one of " + ", ".join(TABLE_DESIGNS))
    return _interval_table(request, max_n)


def boin_boundaries_of(request: DesignRequest) -> tuple[float, float]:
    """BOIN's (lambda_e, lambda_d) for the request's target and ``p_saf``/``p_tox`` options."""
    return boin_boundaries(
        request.target, _float(request.options, "p_saf"), _float(request.options, "p_tox")
    )


Progress = Callable[[int, int], None]
"""Called with (trials simulated so far, trials in all) after each chunk."""

CHUNK_TRIALS = 10_000


def compute_oc(  # noqa: PLR0913 - the run's settings, each keyword-only
    design: Design,
    true_tox: tuple[float, ...],
    *,
    method: Literal["exact", "mc"] = "exact",
    trials: int = 10_000,
    seed: int = 2026,
    progress: Progress | None = None,
    arrival_rate: float | None = None,
) -> OperatingCharacteristics[float]:
    """Operating characteristics by exact enumeration or seeded Monte Carlo.

    Monte Carlo draws every subject's tolerance up front from ``seed`` and runs
    the trials in chunks of :data:`CHUNK_TRIALS`, reporting to ``progress``
    after each; the result is the same as one batch over the same tolerances.
    The TITE-CRM also needs ``arrival_rate`` (subjects per day): its arrival and
    DLT times come from a second stream of the same seed.
    """
    if method == "exact":
        return _exact_oc(design, true_tox)
    run, columns = _simulator(design, true_tox, arrival_rate, np.random.default_rng([seed, 1]))
    tolerances = draw_tolerances(np.random.default_rng(seed), trials, columns)
    parts = []
    for start in range(0, trials, CHUNK_TRIALS):
        parts.append(run(tolerances[start : start + CHUNK_TRIALS]))
        if progress is not None:
            progress(min(start + CHUNK_TRIALS, trials), trials)
    return SimulatedTrials.concatenate(parts).summarise(design.ladder.labels)


def _exact_oc(design: Design, true_tox: tuple[float, ...]) -> OperatingCharacteristics[float]:
    if isinstance(design, ThreePlusThree):
        return exact_oc_three_plus_three(design, true_tox)
    if isinstance(design, CrmDesign):
        raise DesignInputError(
            "method", "exact", "mc for the CRM (exact OCs exist for 3+3 and table designs)"
        )
    design, table = _table_parts(design)
    return exact_oc_table(design, table, true_tox)


def _simulator(
    design: Design,
    true_tox: tuple[float, ...],
    arrival_rate: float | None,
    rng_times: np.random.Generator,
) -> tuple[Callable[[NDArray[np.float64]], SimulatedTrials], int]:
    """The batch runner of ``design`` and how many tolerance columns a trial needs."""
    if isinstance(design, CrmDesign) and design.window_days is not None:
        if arrival_rate is None:
            raise DesignInputError(
                "arrival_rate", None, "subjects per day, to simulate the TITE-CRM's timing"
            )
        tite, rate = design, arrival_rate
        return (
            lambda u: run_tite_trials(tite, true_tox, u, arrival_rate=rate, rng_times=rng_times)
        ), tite.max_n
    if isinstance(design, ThreePlusThree):
        three = design
        return (lambda u: run_three_plus_three_trials(three, true_tox, u)), 6 * len(three.ladder)
    if isinstance(design, CrmDesign):
        crm = design
        columns = -(-crm.max_n // crm.cohort_size) * crm.cohort_size
        return (lambda u: run_crm_trials(crm, true_tox, u)), columns
    decider, table = _table_parts(design)
    return (lambda u: run_table_trials(decider, table, true_tox, u)), table.max_subjects


def _table_parts(design: Design) -> tuple[Boin | TableDesign, TableDesign]:
    table = design.table_design if isinstance(design, Boin) else design
    if not isinstance(table, TableDesign) or not isinstance(design, Boin | TableDesign):
        raise DesignInputError("design", design.name, "3+3, a table design or the CRM")
    return design, table


def _check_options(request: DesignRequest) -> None:
    known = OPTION_TYPES.get(request.design)
    if known is None:
        raise DesignInputError("design", request.design, "one of " + ", ".join(DESIGN_NAMES))
    for name, value in request.options.items():
        kind = known.get(name)
        if kind is None:
            allowed = ", ".join(known) or "none"
            raise DesignInputError("option", name, f"an option of {request.design}: {allowed}")
        if not _matches(value, kind):
            raise DesignInputError(name, value, f"a value of type {kind.__name__}")
        if name in _CHOICES and value not in _CHOICES[name]:
            raise DesignInputError(name, value, " or ".join(_CHOICES[name]))
    if not 0 < request.target < 1:
        raise DesignInputError("target", request.target, "a probability strictly between 0 and 1")


def _three_plus_three(request: DesignRequest, ladder: DoseLadder) -> ThreePlusThree:
    options = request.options
    if request.cohort_size != 3:
        raise DesignInputError("cohort_size", request.cohort_size, "3 for the 3+3 design")
    lower = str(options.get("lower_zero_of_three", "expand"))
    return ThreePlusThree(
        ladder,
        request.start,
        deescalate=bool(options.get("deescalate", True)),
        lower_zero_of_three=cast("Literal['expand', 'stop']", lower),
        expand_top=bool(options.get("expand_top", False)),
    )


def _boin(request: DesignRequest, ladder: DoseLadder) -> Boin:
    options = request.options
    return Boin(
        target=request.target,
        ladder=ladder,
        max_cohorts=request.max_cohorts,
        cohort_size=request.cohort_size,
        start_level=request.start,
        p_saf=_float(options, "p_saf"),
        p_tox=_float(options, "p_tox"),
        n_earlystop=int(options.get("n_earlystop", 100)),
        extrasafe=bool(options.get("extrasafe", False)),
        offset=_float_or(options, "offset", 0.05),
        cutoff_eli=_float_or(options, "cutoff_eli", 0.95),
        bound_mtd=bool(options.get("boundMTD", False)),
        titration=bool(options.get("titration", False)),
    )


def _crm(request: DesignRequest, ladder: DoseLadder) -> CrmDesign:
    """CRM / TITE-CRM with dfcrm's defaults; the skeleton (and TITE window) must be given."""
    if request.skeleton is None:
        raise DesignInputError(
            "skeleton", None, "prior DLT guesses per dose (calibrate: trialdesk design skeleton)"
        )
    tite = request.design == "tite-crm"
    if tite and request.window_days is None:
        raise DesignInputError("window", None, "the DLT window in days for TITE-CRM")
    options = request.options
    safety = options.get("safety_cutoff")
    return CrmDesign(
        ladder,
        request.skeleton,
        request.target,
        max_n=request.max_cohorts * request.cohort_size,
        start=request.start,
        cohort_size=request.cohort_size,
        model=cast("ModelName", options.get("model", "empiric")),
        prior_var=_float_or(options, "prior_var", 1.34),
        intercept=_float_or(options, "intercept", 3.0),
        estimation=cast("Estimation", options.get("estimation", "bayes")),
        conf_level=_float_or(options, "conf_level", 0.90),
        no_skip=bool(options.get("no_skip", True)),
        coherence=bool(options.get("coherence", True)),
        safety_cutoff=None if safety is None else float(safety),
        window_days=request.window_days if tite else None,
        scheme=cast("TiteScheme", options.get("scheme", "linear")),
    )


def _table_design(request: DesignRequest, ladder: DoseLadder) -> TableDesign:
    table = _interval_table(request, request.max_cohorts * request.cohort_size)
    return TableDesign(
        ladder,
        table,
        IsotonicSelector(request.target),
        request.max_cohorts,
        request.cohort_size,
        request.start,
        request.design,
    )


def _interval_table(request: DesignRequest, max_n: int) -> DecisionTable:
    """The design's built-in table, or the one given (design ``table``, e.g. from a file)."""
    if request.design == "table":
        if request.table is None:
            raise DesignInputError("table", None, "a decision table (--table FILE.json)")
        return request.table
    options = request.options
    if request.design == "keyboard":
        return keyboard_table(
            request.target,
            max_n,
            margin_left=_float_or(options, "margin_left", 0.05),
            margin_right=_float_or(options, "margin_right", 0.05),
        )
    builder = mtpi2_table if request.design == "mtpi2" else i3plus3_table
    return builder(
        request.target,
        max_n,
        eps1=_float_or(options, "eps1", 0.05),
        eps2=_float_or(options, "eps2", 0.05),
    )


def _float(options: Mapping[str, OptionValue], name: str) -> float | None:
    value = options.get(name)
    return None if value is None else float(value)


def _float_or(options: Mapping[str, OptionValue], name: str, default: float) -> float:
    """The option's value, or the package default when it is not given (never when 0)."""
    value = _float(options, name)
    return default if value is None else value


def _matches(value: OptionValue, kind: type[OptionValue]) -> bool:
    if isinstance(value, bool):
        return kind is bool
    if kind is float:
        return isinstance(value, int | float)
    return isinstance(value, kind)
