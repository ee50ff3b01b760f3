"""Storage: files of record (study.yaml) now; the database joins later."""

from trialdesk.store.files import write_text_atomic
from trialdesk.store.study_yaml import (
    LocatedProblem,
    check_study_text,
    load_study,
    parse_study_text,
    render_study_yaml,
    save_study,
)

__all__ = [
    "LocatedProblem",
    "check_study_text",
    "load_study",
    "parse_study_text",
    "render_study_yaml",
    "save_study",
    "write_text_atomic",
]
