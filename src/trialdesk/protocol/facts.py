"""Facts the registry states in structured fields, kept as typed values.

These are copied, not interpreted: a partial date stays partial, an enrollment
count keeps whether it is actual or estimated, and arms and interventions keep
the registry's own names so a reviewer can find them in the record.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from trialdesk.protocol.provenance import Source
from trialdesk.protocol.registry_enums import (
    ArmGroupType,
    DateType,
    DesignAllocation,
    DesignMasking,
    EnrollmentType,
    InterventionalAssignment,
    InterventionType,
    Phase,
    PrimaryPurpose,
    Sex,
    StandardAge,
    Status,
    StudyType,
)

__all__ = [
    "Arm",
    "DesignInfo",
    "EligibilityFacts",
    "Enrollment",
    "Identification",
    "Intervention",
    "PartialDate",
    "StatusInfo",
]

_PARTIAL_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class PartialDate(BaseModel):
    """A registry date as written: ``2025``, ``2025-11`` or ``2025-11-07``.

    The registry often states only a month; turning it into a day would invent
    one, so the value stays a string of the precision given.
    """

    model_config = _FROZEN

    value: str
    type: DateType | None = None

    @field_validator("value")
    @classmethod
    def _check_value(cls, value: str) -> str:
        if not _PARTIAL_DATE.match(value):
            raise ValueError(f"expected YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")
        return value

    @property
    def precision(self) -> str:
        """``year``, ``month`` or ``day``."""
        return ("year", "month", "day")[self.value.count("-")]


class Identification(BaseModel):
    """Who registered the study and what it is called."""

    model_config = _FROZEN

    nct_id: str = Field(pattern=r"^NCT\d{8}$")
    org_study_id: str | None = None
    brief_title: str
    official_title: str | None = None
    organization: str | None = None
    lead_sponsor: str | None = None
    conditions: tuple[str, ...] = ()
    source: Source


class StatusInfo(BaseModel):
    """Recruitment status and the registry's key dates."""

    model_config = _FROZEN

    overall_status: Status
    status_verified: PartialDate | None = None
    start: PartialDate | None = None
    primary_completion: PartialDate | None = None
    completion: PartialDate | None = None
    first_posted: PartialDate | None = None
    last_update_posted: PartialDate | None = None
    source: Source


class DesignInfo(BaseModel):
    """The registry's design module: type, phases, allocation, model, masking."""

    model_config = _FROZEN

    study_type: StudyType
    phases: tuple[Phase, ...] = ()
    allocation: DesignAllocation | None = None
    intervention_model: InterventionalAssignment | None = None
    primary_purpose: PrimaryPurpose | None = None
    masking: DesignMasking | None = None
    source: Source


class Enrollment(BaseModel):
    """Planned or actual number of participants."""

    model_config = _FROZEN

    count: int | None = Field(default=None, ge=0)
    type: EnrollmentType | None = None
    source: Source


class Arm(BaseModel):
    """An arm group; ``interventions`` names the linked interventions."""

    model_config = _FROZEN

    label: str
    type: ArmGroupType | None = None
    description: str | None = None
    intervention_names: tuple[str, ...] = ()
    interventions: tuple[str, ...] = ()
    source: Source


class Intervention(BaseModel):
    """An intervention; ``arms`` names the arm groups that give it."""

    model_config = _FROZEN

    name: str
    type: InterventionType
    description: str | None = None
    arm_group_labels: tuple[str, ...] = ()
    arms: tuple[str, ...] = ()
    source: Source


class EligibilityFacts(BaseModel):
    """The structured eligibility fields (the criteria text is split elsewhere)."""

    model_config = _FROZEN

    sex: Sex | None = None
    minimum_age: str | None = None
    maximum_age: str | None = None
    std_ages: tuple[StandardAge, ...] = ()
    healthy_volunteers: bool | None = None
    source: Source
