"""Use cases: one function per action, each one transaction (load, decide in the core, save)."""

from trialdesk.service.trial import (
    Recorded,
    audit_verify,
    init_trial,
    record_event,
    trial_state,
)
from trialdesk.store.trials import Actor

__all__ = ["Actor", "Recorded", "audit_verify", "init_trial", "record_event", "trial_state"]
