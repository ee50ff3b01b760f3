"""The study definition: a typed, reviewable model of one trial's protocol."""

from trialdesk.protocol.provenance import Source

__all__ = ["Source"]
