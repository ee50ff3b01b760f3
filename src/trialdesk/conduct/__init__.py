"""Trial conduct, domain core: events, the state machine, DLT windows, doses, visits due."""

from trialdesk.conduct.dlt import Evaluability, Waiting, evaluability, pending_decision
from trialdesk.conduct.events import Event
from trialdesk.conduct.machine import apply, start_trial
from trialdesk.conduct.state import Notice, Status, TrialSetup, TrialState

__all__ = [
    "Evaluability",
    "Event",
    "Notice",
    "Status",
    "TrialSetup",
    "TrialState",
    "Waiting",
    "apply",
    "evaluability",
    "pending_decision",
    "start_trial",
]
