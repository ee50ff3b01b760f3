"""The newest stored version of a form entry, so that a replayed transfer can be recognised.

A lab file or an import sent twice must not write twice, and a value that differs from
the stored one must not overwrite it silently (PART11 C6; ICH E6(R3) 4.2.5): the service
compares a new entry with the newest stored version read here.
"""

from __future__ import annotations

from pydantic import TypeAdapter
from sqlalchemy import Connection, bindparam, select

from trialdesk.conduct.events import FormEntryRecorded
from trialdesk.store.trial_schema import EventRow

__all__ = ["latest_form_entry"]

_ENTRY: TypeAdapter[FormEntryRecorded] = TypeAdapter(FormEntryRecorded)
_SUBJECT_ENTRIES = (
    select(EventRow.seq, EventRow.payload)
    .where(
        EventRow.trial_id == bindparam("trial_id"),
        EventRow.subject_id == bindparam("subject_id"),
        EventRow.kind == "form_entry",
    )
    .order_by(EventRow.seq.desc())
)


def latest_form_entry(
    connection: Connection, trial_id: int, subject_id: str, visit_id: str, form_id: str
) -> tuple[int, FormEntryRecorded] | None:
    """The newest entry of ``form_id`` at ``visit_id`` for the subject, with its event seq."""
    rows = connection.execute(_SUBJECT_ENTRIES, {"trial_id": trial_id, "subject_id": subject_id})
    for row in rows:
        entry = _ENTRY.validate_json(row.payload)
        if (entry.visit_id, entry.form_id) == (visit_id, form_id):
            return int(row.seq), entry
    return None
