"""The state of a running trial: subjects, cohorts and their slots, confirmed decisions.

Immutable values built only by :func:`trialdesk.conduct.machine.apply`. A subject's
``status`` is where it stands in the flow registered → consented → screened →
enrolled → cells collected → product released → cleared → infused → left; a cohort
has a level and a number of slots that grows by one when a member turns out not
evaluable and the study replaces such subjects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from trialdesk.design.decision import Decision, Design
from trialdesk.design.history import Label

__all__ = [
    "AdverseEvent",
    "Cohort",
    "ConfirmedDecision",
    "Notice",
    "Status",
    "SubjectState",
    "TrialSetup",
    "TrialState",
]


class Status(StrEnum):
    """Where a subject stands."""

    REGISTERED = "registered"
    CONSENTED = "consented"
    SCREEN_FAILED = "screen_failed"
    ELIGIBLE = "eligible"
    ENROLLED = "enrolled"
    COLLECTED = "cells_collected"
    RELEASED = "product_released"
    PRODUCT_FAILED = "product_failed"
    CLEARED = "cleared_for_infusion"
    NOT_CLEARED = "not_cleared_for_infusion"
    INFUSED = "infused"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    DIED = "died"
    LOST = "lost_to_follow_up"


LEFT = frozenset({Status.COMPLETED, Status.WITHDRAWN, Status.DIED, Status.LOST})


@dataclass(frozen=True, slots=True)
class AdverseEvent:
    """An adverse event; ``dlt`` and ``related`` stay ``None`` until adjudicated."""

    ae_id: str
    term: str
    onset: dt.date
    grade: int
    dlt: bool | None = None
    related: bool | None = None


@dataclass(frozen=True, slots=True)
class SubjectState:
    """One subject's place in the flow and what is known of it."""

    subject_id: str
    site: str
    status: Status
    registered: dt.date
    consent_version: str | None = None
    consented_on: dt.date | None = None
    cohort: int | None = None
    level: Label | None = None
    day0: dt.date | None = None
    dose_cells: Decimal | None = None
    adverse_events: tuple[AdverseEvent, ...] = ()
    left_on: dt.date | None = None
    status_before_leaving: Status | None = None
    visits: tuple[tuple[str, dt.date], ...] = ()
    form_entries: tuple[tuple[str, str, int], ...] = ()  # (visit id, form id, version)

    def form_version(self, visit_id: str, form_id: str) -> int:
        """The newest entry version of ``form_id`` at ``visit_id`` (0 before the first)."""
        versions = [
            v for visit, form, v in self.form_entries if (visit, form) == (visit_id, form_id)
        ]
        return max(versions, default=0)

    def with_status(self, status: Status, **changes: object) -> SubjectState:
        """A copy with a new status and the given fields changed."""
        return replace(self, status=status, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Cohort:
    """A cohort at one level: its slots and the subjects who took them, in order."""

    index: int
    level: Label
    slots: int
    members: tuple[str, ...] = ()

    @property
    def open_slots(self) -> int:
        """Slots not yet taken."""
        return self.slots - len(self.members)


@dataclass(frozen=True, slots=True)
class ConfirmedDecision:
    """A design decision, and who confirmed it, in what role, when."""

    decision: Decision
    confirmed_by: str
    role: str
    date: dt.date
    after_cohort: int


@dataclass(frozen=True, slots=True)
class TrialSetup:
    """What conduct needs from the study definition: the design and the DLT rules.

    ``sentinel_interval_days``: with sentinel (staggered) dosing, the days that must
    pass after a cohort's first infusion before the next subject of the cohort is
    infused; ``None`` doses a cohort without a stagger.
    """

    design: Design
    dlt_window_days: int
    replace_non_evaluable: bool
    visit_ids: tuple[str, ...] = ()
    stopping_rules: tuple[str, ...] = ()
    sentinel_interval_days: int | None = None


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the machine decided while applying an event (a slot assigned, a slot added)."""

    rule: str
    message: str


@dataclass(frozen=True, slots=True)
class TrialState:
    """The whole trial: every subject by id, the cohorts in order, the confirmed decisions."""

    setup: TrialSetup
    subjects: Mapping[str, SubjectState] = field(default_factory=lambda: MappingProxyType({}))
    cohorts: tuple[Cohort, ...] = ()
    decisions: tuple[ConfirmedDecision, ...] = ()
    paused: str | None = None

    @property
    def stopped(self) -> bool:
        """Whether a confirmed decision stopped the trial."""
        return bool(self.decisions) and self.decisions[-1].decision.stop

    @property
    def mtd(self) -> Label | None:
        """The MTD the stopping decision selected, if any."""
        return self.decisions[-1].decision.mtd if self.stopped else None

    @property
    def open_cohort(self) -> Cohort | None:
        """The cohort taking subjects now: the last one, unless the trial stopped."""
        return None if self.stopped or not self.cohorts else self.cohorts[-1]

    def with_subject(self, subject: SubjectState) -> TrialState:
        """A copy with ``subject`` added or replaced."""
        subjects = dict(self.subjects)
        subjects[subject.subject_id] = subject
        return replace(self, subjects=MappingProxyType(subjects))

    def with_cohort(self, cohort: Cohort) -> TrialState:
        """A copy with ``cohort`` replacing the cohort of its index, or appended."""
        cohorts = [c for c in self.cohorts if c.index != cohort.index]
        return replace(self, cohorts=tuple(sorted([*cohorts, cohort], key=lambda c: c.index)))
