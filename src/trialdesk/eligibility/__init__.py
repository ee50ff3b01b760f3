"""Eligibility criteria as rules: parsed from text, evaluated with evidence, compiled to SQL."""

from trialdesk.eligibility.ast import (
    AllOf,
    AnyOf,
    AtLeast,
    Attest,
    AttestReason,
    Between,
    Comparator,
    Compare,
    Decline,
    Fact,
    Not,
    Rule,
    Span,
    Threshold,
    When,
    Within,
)
from trialdesk.eligibility.batch import BatchVerdict, evaluate_batch
from trialdesk.eligibility.batch_columns import SubjectBatch
from trialdesk.eligibility.criteria import Criterion, RuleSet, Section
from trialdesk.eligibility.evaluate import (
    CriterionVerdict,
    Eligibility,
    Evidence,
    Verdict,
    evaluate,
)
from trialdesk.eligibility.subject import Attestation, FactRecord, Observation, SubjectData
from trialdesk.eligibility.truth import Truth

__all__ = [
    "AllOf",
    "AnyOf",
    "AtLeast",
    "Attest",
    "AttestReason",
    "Attestation",
    "BatchVerdict",
    "Between",
    "Comparator",
    "Compare",
    "Criterion",
    "CriterionVerdict",
    "Decline",
    "Eligibility",
    "Evidence",
    "Fact",
    "FactRecord",
    "Not",
    "Observation",
    "Rule",
    "RuleSet",
    "Section",
    "Span",
    "SubjectBatch",
    "SubjectData",
    "Threshold",
    "Truth",
    "Verdict",
    "When",
    "Within",
    "evaluate",
    "evaluate_batch",
]
