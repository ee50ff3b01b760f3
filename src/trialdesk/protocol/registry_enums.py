"""The ClinicalTrials.gov API v2 enumerations the study definition keeps.

Values copied from the API's OpenAPI document, version 2.0.5
(``shared/schemas/ctgov-api-v2/ctg-oas-v2.yaml``, ``components/schemas``);
``tests/unit/protocol/test_registry_enums.py`` re-reads that file and fails if
a value here differs from it. A record with a value outside these sets is
refused with the field named, rather than carried as an unchecked string.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "ArmGroupType",
    "DateType",
    "DesignAllocation",
    "DesignMasking",
    "EnrollmentType",
    "InterventionType",
    "InterventionalAssignment",
    "Phase",
    "PrimaryPurpose",
    "Sex",
    "StandardAge",
    "Status",
    "StudyType",
]


class Status(StrEnum):
    """``Status``: the overall recruitment status."""

    ACTIVE_NOT_RECRUITING = "ACTIVE_NOT_RECRUITING"
    COMPLETED = "COMPLETED"
    ENROLLING_BY_INVITATION = "ENROLLING_BY_INVITATION"
    NOT_YET_RECRUITING = "NOT_YET_RECRUITING"
    RECRUITING = "RECRUITING"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"
    WITHDRAWN = "WITHDRAWN"
    AVAILABLE = "AVAILABLE"
    NO_LONGER_AVAILABLE = "NO_LONGER_AVAILABLE"
    TEMPORARILY_NOT_AVAILABLE = "TEMPORARILY_NOT_AVAILABLE"
    APPROVED_FOR_MARKETING = "APPROVED_FOR_MARKETING"
    WITHHELD = "WITHHELD"
    UNKNOWN = "UNKNOWN"


class StudyType(StrEnum):
    """``StudyType``."""

    EXPANDED_ACCESS = "EXPANDED_ACCESS"
    INTERVENTIONAL = "INTERVENTIONAL"
    OBSERVATIONAL = "OBSERVATIONAL"


class Phase(StrEnum):
    """``Phase``."""

    NA = "NA"
    EARLY_PHASE1 = "EARLY_PHASE1"
    PHASE1 = "PHASE1"
    PHASE2 = "PHASE2"
    PHASE3 = "PHASE3"
    PHASE4 = "PHASE4"


class Sex(StrEnum):
    """``Sex``: which sexes are eligible."""

    FEMALE = "FEMALE"
    MALE = "MALE"
    ALL = "ALL"


class StandardAge(StrEnum):
    """``StandardAge``: the registry's age groups."""

    CHILD = "CHILD"
    ADULT = "ADULT"
    OLDER_ADULT = "OLDER_ADULT"


class DateType(StrEnum):
    """``DateType``: whether a date has happened or is planned."""

    ACTUAL = "ACTUAL"
    ESTIMATED = "ESTIMATED"


class EnrollmentType(StrEnum):
    """``EnrollmentType``."""

    ACTUAL = "ACTUAL"
    ESTIMATED = "ESTIMATED"


class DesignAllocation(StrEnum):
    """``DesignAllocation``."""

    RANDOMIZED = "RANDOMIZED"
    NON_RANDOMIZED = "NON_RANDOMIZED"
    NA = "NA"


class InterventionalAssignment(StrEnum):
    """``InterventionalAssignment``: the intervention model."""

    SINGLE_GROUP = "SINGLE_GROUP"
    PARALLEL = "PARALLEL"
    CROSSOVER = "CROSSOVER"
    FACTORIAL = "FACTORIAL"
    SEQUENTIAL = "SEQUENTIAL"


class PrimaryPurpose(StrEnum):
    """``PrimaryPurpose``."""

    TREATMENT = "TREATMENT"
    PREVENTION = "PREVENTION"
    DIAGNOSTIC = "DIAGNOSTIC"
    ECT = "ECT"
    SUPPORTIVE_CARE = "SUPPORTIVE_CARE"
    SCREENING = "SCREENING"
    HEALTH_SERVICES_RESEARCH = "HEALTH_SERVICES_RESEARCH"
    BASIC_SCIENCE = "BASIC_SCIENCE"
    DEVICE_FEASIBILITY = "DEVICE_FEASIBILITY"
    OTHER = "OTHER"


class DesignMasking(StrEnum):
    """``DesignMasking``."""

    NONE = "NONE"
    SINGLE = "SINGLE"
    DOUBLE = "DOUBLE"
    TRIPLE = "TRIPLE"
    QUADRUPLE = "QUADRUPLE"


class ArmGroupType(StrEnum):
    """``ArmGroupType``."""

    EXPERIMENTAL = "EXPERIMENTAL"
    ACTIVE_COMPARATOR = "ACTIVE_COMPARATOR"
    PLACEBO_COMPARATOR = "PLACEBO_COMPARATOR"
    SHAM_COMPARATOR = "SHAM_COMPARATOR"
    NO_INTERVENTION = "NO_INTERVENTION"
    OTHER = "OTHER"


class InterventionType(StrEnum):
    """``InterventionType``."""

    BEHAVIORAL = "BEHAVIORAL"
    BIOLOGICAL = "BIOLOGICAL"
    COMBINATION_PRODUCT = "COMBINATION_PRODUCT"
    DEVICE = "DEVICE"
    DIAGNOSTIC_TEST = "DIAGNOSTIC_TEST"
    DIETARY_SUPPLEMENT = "DIETARY_SUPPLEMENT"
    DRUG = "DRUG"
    GENETIC = "GENETIC"
    PROCEDURE = "PROCEDURE"
    RADIATION = "RADIATION"
    OTHER = "OTHER"
