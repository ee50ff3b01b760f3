"""The study definition: one frozen, typed value holding a whole protocol.

Imported from a registry record, reviewed and completed by hand in
``study.yaml``, then read by every other layer. The field order here is the
key order of ``study.yaml`` and of ``trialdesk import --json``; the top-level
keys ``dose_levels``, ``design``, ``dlt_window_days``, ``visits``,
``eligibility``, ``outcomes``, ``gaps`` and ``assumptions`` are a contract with
other tools.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from trialdesk.protocol.clinical_settings import ClinicalSettings
from trialdesk.protocol.criteria import CriterionItem
from trialdesk.protocol.design_text import DesignSpec
from trialdesk.protocol.doses import DoseLevel
from trialdesk.protocol.facts import (
    Arm,
    DesignInfo,
    EligibilityFacts,
    Enrollment,
    Identification,
    Intervention,
    StatusInfo,
)
from trialdesk.protocol.notes import Assumption, Gap, HandText
from trialdesk.protocol.outcomes import Outcome
from trialdesk.protocol.provenance import Source
from trialdesk.protocol.visits import Visit

__all__ = ["SCHEMA_VERSION", "Eligibility", "Study"]

SCHEMA_VERSION = 1


class Eligibility(BaseModel):
    """Structured eligibility fields and the criteria split into items."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    facts: EligibilityFacts
    preamble: str | None = None
    inclusion: tuple[CriterionItem, ...] = ()
    exclusion: tuple[CriterionItem, ...] = ()
    notes: tuple[str, ...] = ()


class Study(BaseModel):
    """A study definition. ``load(save(study)) == study`` for every study."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = SCHEMA_VERSION
    identification: Identification
    status: StatusInfo
    design_info: DesignInfo
    enrollment: Enrollment
    arms: tuple[Arm, ...] = ()
    interventions: tuple[Intervention, ...] = ()
    dose_levels_stated: bool
    dose_levels: tuple[DoseLevel, ...] = ()
    start_dose_level: int | str | None = None
    start_dose_source: Source | None = None
    design: DesignSpec
    dlt_window_days: int | None = None
    dlt_window_source: Source | None = None
    dlt_definition: HandText | None = None
    clinical: ClinicalSettings = ClinicalSettings()
    visits: tuple[Visit, ...] = ()
    eligibility: Eligibility
    outcomes: tuple[Outcome, ...] = ()
    gaps: tuple[Gap, ...] = ()
    assumptions: tuple[Assumption, ...] = ()
    import_notes: tuple[str, ...] = ()
