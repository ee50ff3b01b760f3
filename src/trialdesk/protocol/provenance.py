"""Where a value of the study definition came from.

A reviewer must be able to check every imported value against the registry
record, so each one carries the JSON path it was read from and, when it was
read out of free text, the exact span quoted. Values the record does not hold
are added by hand and say so in ``note`` instead of pointing into the record.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Source"]


class Source(BaseModel):
    """Provenance of one value: a record path, an optional quote, an optional note.

    ``path`` uses the record's own keys with list indices, e.g.
    ``protocolSection.armsInterventionsModule.interventions[1].description``.
    ``quote`` is a verbatim substring of the text at ``path``. ``note`` names a
    source outside the registry ("sponsor protocol, not in registry — to
    confirm") or an assumption id; a value with no ``path`` must have a ``note``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str | None = None
    quote: str | None = None
    note: str | None = None
