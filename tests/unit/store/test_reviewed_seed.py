"""The committed, reviewed seed definition: valid, and the import plus declared hand edits only."""

from __future__ import annotations

from pathlib import Path

from trialdesk.protocol import import_study, parse_record_text
from trialdesk.store import load_study

STUDY_DIR = Path(__file__).resolve().parents[3] / "studies" / "NCT07329959"


def test_reviewed_seed_is_the_import_plus_its_hand_additions() -> None:
    reviewed = load_study(STUDY_DIR / "study.yaml")
    imported = import_study(parse_record_text((STUDY_DIR / "record.txt").read_text("utf-8")))
    # The hand edits: a draft DLT definition and the clinical choices, each marked with its
    # source, closing their gaps.
    assert reviewed.dlt_definition is not None
    assert reviewed.dlt_definition.source.note is not None
    assert reviewed.dlt_definition.source.note.startswith("sponsor protocol, not in registry")
    assert "dlt.definition" in {gap.id for gap in imported.gaps}
    assert "dlt.definition" not in {gap.id for gap in reviewed.gaps}
    assert reviewed.clinical.source is not None
    assert reviewed.clinical.source.note is not None
    assert reviewed.clinical.source.note.startswith("sponsor protocol, not in registry")
    assert {"clinical.lung_function_equation", "clinical.decline_reading"} <= {
        gap.id for gap in imported.gaps
    }
    undone = reviewed.model_copy(
        update={"dlt_definition": None, "clinical": imported.clinical, "gaps": imported.gaps}
    )
    assert undone == imported
