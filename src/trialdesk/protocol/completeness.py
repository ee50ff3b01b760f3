"""List what a study definition lacks (gaps) and what it took by default (assumptions).

Computed from the definition itself, so it is the same whether the study was
just imported or edited by hand: filling a gap in ``study.yaml`` removes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from trialdesk.protocol.criteria import flatten_text
from trialdesk.protocol.notes import Assumption, Gap
from trialdesk.protocol.registry_enums import Phase
from trialdesk.protocol.schedule import ASSUMED_VISIT_NOTE
from trialdesk.protocol.study import Study
from trialdesk.protocol.timeframes import DAYS_PER_MONTH, DAYS_PER_WEEK
from trialdesk.protocol.visits import (
    FOLLOW_UP_WINDOW_FRACTION,
    FOLLOW_UP_WINDOW_MAX_DAYS,
    WINDOW_DEFAULTS,
    VisitKind,
)

__all__ = ["assess_assumptions", "assess_gaps"]

_EARLY_PHASES = {Phase.EARLY_PHASE1, Phase.PHASE1}
_THREE_PLUS_THREE_MAX_PER_LEVEL = 6


def assess_gaps(study: Study) -> tuple[Gap, ...]:
    """Everything the trial needs that the definition does not state, in a stable order."""
    return (
        *_design_gaps(study),
        *_dose_gaps(study),
        *_option_gaps(study),
        *_schedule_gaps(study),
        *_outcome_gaps(study),
        *_eligibility_gaps(study),
        *_clinical_gaps(study),
        *_enrollment_gaps(study),
    )


def assess_assumptions(study: Study) -> tuple[Assumption, ...]:
    """Every default the definition relies on, each with its value and reason."""
    found = [
        Assumption(
            id="time.month_days",
            value=str(DAYS_PER_MONTH),
            text=f"a month in a time frame is {DAYS_PER_MONTH} days (Month 1 = Day "
            f"{DAYS_PER_MONTH}, Month 6 = Day {6 * DAYS_PER_MONTH}); a week is {DAYS_PER_WEEK}",
        )
    ]
    found.extend(_option_assumptions(study))
    found.extend(_visit_assumptions(study))
    if any(level.unit.endswith("/kg") for level in study.dose_levels):
        found.append(
            Assumption(
                id="dose.weight_basis",
                value="actual body weight at the pre-dose check",
                text="a per-kg dose is computed from the actual body weight measured at the "
                "pre-dose check (the record does not say which weight)",
            )
        )
    return tuple(found)


def _design_gaps(study: Study) -> Iterable[Gap]:
    early = bool(_EARLY_PHASES & set(study.design_info.phases))
    if study.design.name is None and early:
        yield Gap(id="design.name", text="the record names no dose-escalation design")
    if study.design.name is not None and study.dlt_window_days is None:
        yield Gap(id="dlt.window", text="the record states no DLT observation window")
    if study.design.name is not None and study.dlt_definition is None:
        yield Gap(
            id="dlt.definition",
            text="the record names dose-limiting toxicities but does not define them "
            "(which events, grades and attribution count as a DLT)",
        )
    if study.design.name is not None:
        yield Gap(
            id="dlt.evaluable",
            text="the record does not define a DLT-evaluable subject (e.g. dosed and "
            "followed through the window, or had a DLT)",
        )


def _dose_gaps(study: Study) -> Iterable[Gap]:
    if study.design.name is not None and not study.dose_levels_stated:
        yield Gap(id="dose_levels", text="the record states no numeric dose levels")
    if study.dose_levels_stated and study.start_dose_level is None:
        yield Gap(id="dose_levels.start", text="the record does not say which dose level starts")
    if any(level.unit.endswith("/kg") for level in study.dose_levels):
        yield Gap(
            id="dose.weight_basis",
            text="doses are per kg but the record does not say which body weight "
            "(actual, ideal; measured when): see assumption dose.weight_basis",
        )


def _option_gaps(study: Study) -> Iterable[Gap]:
    for option in study.design.options:
        if option.default_taken:
            yield Gap(
                id=f"design.options.{option.name}",
                text=f"not stated in the record: {option.reason} "
                f"(see assumption design.options.{option.name})",
            )


def _option_assumptions(study: Study) -> Iterable[Assumption]:
    for option in study.design.options:
        if option.default_taken:
            yield Assumption(
                id=f"design.options.{option.name}",
                value=str(option.value).lower()
                if isinstance(option.value, bool)
                else str(option.value),
                text=option.reason,
            )


def _schedule_gaps(study: Study) -> Iterable[Gap]:
    if study.visits:
        yield Gap(
            id="visits.windows",
            text="the record states no visit windows: see assumptions visits.window.*",
        )


def _visit_assumptions(study: Study) -> Iterable[Assumption]:
    kinds = {visit.kind for visit in study.visits}
    for kind, (earliest, latest, reason) in WINDOW_DEFAULTS.items():
        if kind in kinds:
            yield Assumption(
                id=f"visits.window.{kind.value}",
                value=f"Day {earliest} to Day {latest}",
                text=reason,
            )
    if kinds & {VisitKind.DLT_WINDOW, VisitKind.FOLLOW_UP}:
        yield Assumption(
            id="visits.window.follow_up",
            value=f"±{FOLLOW_UP_WINDOW_FRACTION:.0%} of the visit day, 1 to "
            f"{FOLLOW_UP_WINDOW_MAX_DAYS} days",
            text="each post-dose visit may happen within 10 % of its day either side "
            "(at least 1, at most 14 days), narrowed where needed so that the windows of "
            "neighbouring visits never overlap (visits on consecutive days get none)",
        )
    if VisitKind.LONG_TERM in kinds:
        yield Assumption(
            id="visits.window.long_term",
            value="open-ended after the last follow-up window",
            text="long-term follow-up starts after the last scheduled visit and has no end",
        )
    if any(visit.source.note == ASSUMED_VISIT_NOTE for visit in study.visits):
        yield Assumption(
            id="visits.required",
            value="screening and Day 0",
            text="the record describes no flow; screening and a Day 0 dosing visit are assumed",
        )


def _outcome_gaps(study: Study) -> Iterable[Gap]:
    if not study.outcomes:
        yield Gap(id="outcomes", text="the record states no outcome measures")
    for outcome in study.outcomes:
        if not outcome.time_frame.parsed:
            yield Gap(
                id=f"outcomes.{outcome.id}.time_frame",
                text=f"time frame not read into days: {outcome.time_frame.text!r}",
                source=outcome.source,
            )


def _eligibility_gaps(study: Study) -> Iterable[Gap]:
    if not study.eligibility.inclusion and not study.eligibility.exclusion:
        yield Gap(
            id="eligibility.criteria",
            text="the record states no inclusion or exclusion criteria to screen against",
            source=study.eligibility.facts.source,
        )


_LUNG_FUNCTION = re.compile(
    r"forced vital capacity|\bFVC\b|\bFEV1\b|\bDLCO\b|diffusi\w* capacity", re.IGNORECASE
)
_DECLINE = re.compile(r"decline in (?:forced vital capacity|FVC|diffusing|DLCO)", re.IGNORECASE)


def _clinical_gaps(study: Study) -> Iterable[Gap]:
    """Choices the clinical measures need when the study measures lung function."""
    settings = study.clinical
    texts = [outcome.measure for outcome in study.outcomes] + [
        flatten_text(item) for item in (*study.eligibility.inclusion, *study.eligibility.exclusion)
    ]
    if settings.lung_function_equation is None and any(_LUNG_FUNCTION.search(t) for t in texts):
        yield Gap(
            id="clinical.lung_function_equation",
            text="lung function is measured but the record names no reference equations "
            "(GLI-2012 with an ethnic group, GLI Global 2022, GLI-2017 for DLCO)",
        )
    readings = (settings.fvc_decline_reading, settings.dlco_decline_reading)
    if None in readings and any(_DECLINE.search(t) for t in texts):
        yield Gap(
            id="clinical.decline_reading",
            text="a 10 % decline of FVC or DLCO is a criterion, but the record does not say "
            "whether it is relative to the measured value or in %-predicted points",
        )


def _enrollment_gaps(study: Study) -> Iterable[Gap]:
    count = study.enrollment.count
    levels = len(study.dose_levels)
    if study.design.name != "3+3" or count is None or not levels:
        return
    cohort = study.design.cohort_size or 3
    most = _THREE_PLUS_THREE_MAX_PER_LEVEL * levels
    reasons = []
    if count % cohort:
        reasons.append(f"it is not a multiple of the cohort size {cohort}")
    if count < most:
        reasons.append(
            f"a 3+3 over {levels} levels can need up to {most} subjects "
            f"({_THREE_PLUS_THREE_MAX_PER_LEVEL} per level)"
        )
    if reasons:
        yield Gap(
            id="enrollment.sample_size",
            text=f"registered enrollment is {count}, but "
            + " and ".join(reasons)
            + "; the planned maximum sample size is to confirm",
            source=study.enrollment.source,
        )
