"""What happens in a trial, as immutable events: the only way conduct state changes.

Each event records a fact a person reported (a consent signed, a product released, an
adverse event adjudicated) with its date. Events are stored append-only; the trial's
state is what :func:`trialdesk.conduct.machine.apply` makes of them in order, so a
correction is a later event, never an edit. Who reported an event is the storage
layer's business (its audit entry), not the core's.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AdverseEventRecorded",
    "ConsentSigned",
    "DltAdjudicated",
    "EnrolmentResumed",
    "EscalationConfirmed",
    "Event",
    "FormEntryRecorded",
    "Infused",
    "LeukapheresisDone",
    "PreInfusionChecked",
    "ProductFailed",
    "ProductReleased",
    "ScreeningRecorded",
    "SubjectEnrolled",
    "SubjectLeft",
    "SubjectRegistered",
    "VisitRecorded",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class _SubjectEvent(BaseModel):
    model_config = _FROZEN

    subject_id: str = Field(min_length=1)
    date: dt.date


class SubjectRegistered(_SubjectEvent):
    """A subject is known to the trial at a site."""

    kind: Literal["registered"] = "registered"
    site: str = Field(min_length=1)


class ConsentSigned(_SubjectEvent):
    """Written informed consent, on a named version of the consent form."""

    kind: Literal["consented"] = "consented"
    form_version: str = Field(min_length=1)


class ScreeningRecorded(_SubjectEvent):
    """The eligibility verdict: ``eligible`` true, or false with the failed criteria."""

    kind: Literal["screened"] = "screened"
    eligible: bool
    failed_criteria: tuple[str, ...] = ()


class SubjectEnrolled(_SubjectEvent):
    """The subject takes the next open slot of the open cohort (the machine assigns it)."""

    kind: Literal["enrolled"] = "enrolled"


class LeukapheresisDone(_SubjectEvent):
    """Cells collected for manufacturing."""

    kind: Literal["leukapheresis"] = "leukapheresis"


class ProductReleased(_SubjectEvent):
    """The subject's product met its release specification."""

    kind: Literal["product_released"] = "product_released"
    cells: Decimal = Field(gt=0)


class ProductFailed(_SubjectEvent):
    """Manufacturing failed: the subject is not dosed and may be replaced."""

    kind: Literal["product_failed"] = "product_failed"
    reason: str = Field(min_length=1)


class PreInfusionChecked(_SubjectEvent):
    """The arm's pre-infusion criteria (no significant infection, creatinine < 2 x ULN)."""

    kind: Literal["pre_infusion_checked"] = "pre_infusion_checked"
    passed: bool
    reasons: tuple[str, ...] = ()


class Infused(_SubjectEvent):
    """The infusion on Day 0, at the subject's level, with the dose given in cells."""

    kind: Literal["infused"] = "infused"
    level: int | str
    dose_cells: Decimal = Field(gt=0)


class AdverseEventRecorded(_SubjectEvent):
    """An adverse event with its onset and CTCAE grade (``date`` is the report date)."""

    kind: Literal["adverse_event"] = "adverse_event"
    ae_id: str = Field(min_length=1)
    term: str = Field(min_length=1)
    onset: dt.date
    grade: int = Field(ge=1, le=5)


class DltAdjudicated(_SubjectEvent):
    """The safety reviewer's verdict on one adverse event: a DLT or not, and relatedness."""

    kind: Literal["dlt_adjudicated"] = "dlt_adjudicated"
    ae_id: str = Field(min_length=1)
    is_dlt: bool
    related: bool
    reviewer: str = Field(min_length=1)


class VisitRecorded(_SubjectEvent):
    """A scheduled visit took place on ``date`` (``visit_id`` from the study's schedule)."""

    kind: Literal["visit"] = "visit"
    visit_id: str = Field(min_length=1)


class FormEntryRecorded(_SubjectEvent):
    """A validated form entry at a visit; a version above 1 corrects the previous one.

    ``values`` are the entry's values as validated (item id -> value, repeating groups
    as lists of rows), JSON-ready; a correction names its ``reason`` (PART11.md A4).
    """

    kind: Literal["form_entry"] = "form_entry"
    visit_id: str = Field(min_length=1)
    form_id: str = Field(min_length=1)
    form_version: str = Field(min_length=1)
    entry_version: int = Field(ge=1)
    values: dict[str, object]
    reason: str | None = None


class SubjectLeft(_SubjectEvent):
    """The subject's participation ended: completed, withdrew, died or was lost."""

    kind: Literal["left"] = "left"
    outcome: Literal["completed", "withdrawn", "died", "lost_to_follow_up"]
    reason: str = ""


class EscalationConfirmed(BaseModel):
    """A named role signs off the design's decision (``rule`` and ``next_level`` as computed)."""

    model_config = _FROZEN

    kind: Literal["escalation_confirmed"] = "escalation_confirmed"
    date: dt.date
    rule: str = Field(min_length=1)
    next_level: int | str | None
    confirmed_by: str = Field(min_length=1)
    role: str = Field(min_length=1)


class EnrolmentResumed(BaseModel):
    """The safety review committee chair resumes enrolment paused by a stopping rule."""

    model_config = _FROZEN

    kind: Literal["enrolment_resumed"] = "enrolment_resumed"
    date: dt.date
    reason: str = Field(min_length=1)
    confirmed_by: str = Field(min_length=1)
    role: str = Field(min_length=1)


Event = Annotated[
    SubjectRegistered
    | ConsentSigned
    | ScreeningRecorded
    | SubjectEnrolled
    | LeukapheresisDone
    | ProductReleased
    | ProductFailed
    | PreInfusionChecked
    | Infused
    | AdverseEventRecorded
    | DltAdjudicated
    | VisitRecorded
    | FormEntryRecorded
    | SubjectLeft
    | EscalationConfirmed
    | EnrolmentResumed,
    Field(discriminator="kind"),
]
"""Any conduct event."""
