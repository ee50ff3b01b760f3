"""Consistency checks on a study definition, beyond what its types enforce.

A hand-edited ``study.yaml`` can be well-typed and still wrong: dose levels out
of order, a start level that does not exist, overlapping visit windows. Every
check returns *all* its problems, each with the path of the offending value,
so ``trialdesk study check`` can point at the YAML line.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from trialdesk.clinical.gli import GliEquation
from trialdesk.design.catalog import DesignRequest, OptionValue, build_design, compute_oc
from trialdesk.design.history import Label
from trialdesk.design.three_plus_three import ThreePlusThree
from trialdesk.errors import DesignInputError
from trialdesk.protocol.design_config import design_request
from trialdesk.protocol.study import Study
from trialdesk.protocol.visits import Visit, VisitKind

__all__ = ["Problem", "Severity", "check_study"]

Path = tuple[str | int, ...]


Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a definition: where (a path of keys and indices) and what.

    An ``error`` makes the file invalid; a ``warning`` is a finding about the
    registered study itself (e.g. an enrollment the design cannot produce) that a
    reviewer must see but that does not stop the file from being used.
    """

    path: Path
    message: str
    severity: Severity = "error"

    @property
    def dotted(self) -> str:
        """The path as written in messages: ``dose_levels[1].order``."""
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        return text or "(top level)"


def check_study(study: Study) -> list[Problem]:
    """Every consistency problem of ``study``, in the order of its keys.

    The design-level findings (enrollment) need a consistent definition, so they
    are looked for only when nothing else is wrong.
    """
    errors = [
        *_check_dose_levels(study),
        *_check_visits(study.visits),
        *_check_dlt_window(study),
        *_check_unique(
            ("eligibility", "inclusion"), [item.id for item in study.eligibility.inclusion]
        ),
        *_check_unique(
            ("eligibility", "exclusion"), [item.id for item in study.eligibility.exclusion]
        ),
        *_check_unique(("outcomes",), [outcome.id for outcome in study.outcomes]),
        *_check_unique(("gaps",), [gap.id for gap in study.gaps]),
        *_check_unique(("assumptions",), [item.id for item in study.assumptions]),
        *_check_clinical(study),
    ]
    return errors or list(_check_enrollment(study))


def _check_dose_levels(study: Study) -> Iterable[Problem]:
    levels = study.dose_levels
    if study.dose_levels_stated != bool(levels):
        yield Problem(
            ("dose_levels_stated",),
            f"dose_levels_stated is {str(study.dose_levels_stated).lower()} but "
            f"{len(levels)} dose levels are listed",
        )
    yield from _check_unique(("dose_levels",), [level.label for level in levels], "label")
    by_order = sorted(enumerate(levels), key=lambda pair: pair[1].order)
    if sorted(level.order for level in levels) != list(range(1, len(levels) + 1)):
        yield Problem(("dose_levels",), "orders must be 1, 2, … with no gap or repeat")
    for (_, low), (index, high) in pairwise(by_order):
        if low.unit == high.unit and high.amount <= low.amount:
            yield Problem(
                ("dose_levels", index, "amount"),
                f"level {high.label!r} (order {high.order}) has amount {high.amount:g} "
                f"{high.unit}, not above level {low.label!r} (order {low.order}) at "
                f"{low.amount:g}: levels out of order",
            )
        elif low.unit != high.unit:
            yield Problem(
                ("dose_levels", index, "unit"),
                f"level {high.label!r} is in {high.unit!r} but level {low.label!r} in "
                f"{low.unit!r}: levels must share a unit to be ordered",
            )
    labels = [level.label for level in levels]
    if study.start_dose_level is not None and study.start_dose_level not in labels:
        yield Problem(
            ("start_dose_level",),
            f"start level {study.start_dose_level!r} is not a dose level; labels are "
            + ", ".join(repr(label) for label in labels),
        )


def _check_visits(visits: Sequence[Visit]) -> Iterable[Problem]:
    yield from _check_unique(("visits",), [visit.id for visit in visits], "id")
    for index, visit in enumerate(visits):
        low, high = visit.earliest_day, visit.latest_day
        if low is not None and high is not None and low > high:
            yield Problem(
                ("visits", index, "earliest_day"),
                f"visit {visit.id!r} opens on Day {low}, after it closes on Day {high}",
            )
        if visit.day is not None and not _within(visit.day, low, high):
            yield Problem(
                ("visits", index, "day"),
                f"visit {visit.id!r} is on Day {visit.day}, outside its window "
                f"Day {low} to Day {high}",
            )
    fixed = sorted(
        (visit.day, index, visit)
        for index, visit in enumerate(visits)
        if visit.day is not None and visit.kind is not VisitKind.LONG_TERM
    )
    for (_, _, before), (_, index, after) in pairwise(fixed):
        opens, closes = after.earliest_day, before.latest_day
        if opens is not None and closes is not None and opens <= closes:
            yield Problem(
                ("visits", index, "earliest_day"),
                f"visit {after.id!r} window (from Day {after.earliest_day}) overlaps "
                f"visit {before.id!r} window (to Day {before.latest_day})",
            )


def _check_dlt_window(study: Study) -> Iterable[Problem]:
    days = study.dlt_window_days
    if days is None:
        return
    if days <= 0:
        yield Problem(("dlt_window_days",), f"the DLT window must be positive, got {days} days")
    follow_ups = [visit for visit in study.visits if visit.kind is VisitKind.FOLLOW_UP]
    first = min(follow_ups, key=lambda visit: visit.day or 0, default=None)
    if first is not None and first.day is not None and days > first.day:
        yield Problem(
            ("dlt_window_days",),
            f"the DLT window ({days} days) is longer than the first follow-up visit "
            f"{first.id!r} (Day {first.day}): DLT assessment must end before follow-up begins",
        )


def _check_enrollment(study: Study) -> Iterable[Problem]:
    """Warn when the registered enrollment is a sample size the design cannot produce.

    For 3+3 the possible totals are the support of the exact sample-size
    distribution with every DLT probability 1/2 (every path then has positive
    probability), under the study's own levels, start and options.
    """
    count = study.enrollment.count
    if count is None or study.design.name != "3+3" or not study.dose_levels:
        return
    try:
        request = design_request(study)
        design = build_design(request)
    except DesignInputError as error:
        yield Problem(("design",), f"the design cannot be configured: {error}")
        return
    if not isinstance(design, ThreePlusThree):
        return
    totals = _possible_totals(request.labels, design.start, tuple(sorted(request.options.items())))
    if count not in totals:
        levels = ", ".join(str(label) for label in design.ladder.labels)
        yield Problem(
            ("enrollment", "count"),
            f"registered enrollment {count} cannot occur under 3+3 over levels {levels} "
            f"starting at {design.start}: a trial enrols one of "
            + ", ".join(str(total) for total in totals),
            severity="warning",
        )


@functools.lru_cache(maxsize=64)
def _possible_totals(
    labels: tuple[Label, ...], start: Label, options: tuple[tuple[str, OptionValue], ...]
) -> tuple[int, ...]:
    """Sample sizes a 3+3 can end with (support of its exact N distribution at p = 1/2)."""
    request = DesignRequest("3+3", labels, start, options=dict(options))
    oc = compute_oc(build_design(request), (0.5,) * len(labels))
    return tuple(sorted(oc.n_distribution))


def _check_clinical(study: Study) -> Iterable[Problem]:
    """GLI-2012 needs an ethnic group; the race-neutral and DLCO equations take none."""
    equation = study.clinical.lung_function_equation
    ethnicity = study.clinical.lung_function_ethnicity
    if equation is GliEquation.GLI_2012 and ethnicity is None:
        yield Problem(
            ("clinical", "lung_function_ethnicity"),
            "GLI-2012 needs one of its five groups (e.g. ne-asian for a site in China)",
        )
    if equation is not None and equation is not GliEquation.GLI_2012 and ethnicity is not None:
        yield Problem(
            ("clinical", "lung_function_ethnicity"),
            f"{equation.value} takes no ethnic group; remove {ethnicity.value!r}",
        )


def _check_unique(path: Path, values: Sequence[object], field: str = "id") -> Iterable[Problem]:
    counts = Counter(values)
    for index, value in enumerate(values):
        if counts[value] > 1:
            yield Problem((*path, index, field), f"{field} {value!r} is used more than once")


def _within(day: int, low: int | None, high: int | None) -> bool:
    return (low is None or day >= low) and (high is None or day <= high)
