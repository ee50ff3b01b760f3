"""Trial conduct, domain core: events, the state machine, DLT windows, doses, visits due."""

from trialdesk.conduct.dlt import Evaluability, Waiting, evaluability, pending_decision
from trialdesk.conduct.dose import DoseComputation, compute_dose
from trialdesk.conduct.dose_rules import DoseRules, parse_dose_rules
from trialdesk.conduct.events import Event
from trialdesk.conduct.machine import apply, start_trial
from trialdesk.conduct.state import Notice, Status, TrialSetup, TrialState
from trialdesk.conduct.visits_due import VisitDue, VisitStatus, derive_visits_due

__all__ = [
    "DoseComputation",
    "DoseRules",
    "Evaluability",
    "Event",
    "Notice",
    "Status",
    "TrialSetup",
    "TrialState",
    "VisitDue",
    "VisitStatus",
    "Waiting",
    "apply",
    "compute_dose",
    "derive_visits_due",
    "evaluability",
    "parse_dose_rules",
    "pending_decision",
    "start_trial",
]
