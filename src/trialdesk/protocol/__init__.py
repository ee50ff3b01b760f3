"""The study definition: a typed, reviewable model of one trial's protocol."""

from trialdesk.protocol.checks import Problem, check_study
from trialdesk.protocol.importer import import_study, read_record_criteria
from trialdesk.protocol.provenance import Source
from trialdesk.protocol.record import parse_record_text
from trialdesk.protocol.study import Eligibility, Study

__all__ = [
    "Eligibility",
    "Problem",
    "Source",
    "Study",
    "check_study",
    "import_study",
    "parse_record_text",
    "read_record_criteria",
]
