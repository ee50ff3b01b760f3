"""``forms.yaml``: a study's case report forms, read and checked with every problem located.

The forms file sits beside ``study.yaml`` (``studies/<nct_id>/forms.yaml``). Loading
reports *every* problem with its YAML path and line, as ``study.yaml`` does: the
definition errors the models refuse (:mod:`trialdesk.protocol.forms`) and, when the
study is given, the cross-checks against it (its visit ids and registered outcomes,
:func:`trialdesk.protocol.forms.check_form_set`).
"""

from __future__ import annotations

from pathlib import Path

from trialdesk.errors import StudyFileError
from trialdesk.protocol.forms import FormSet, check_form_set
from trialdesk.protocol.study import Study
from trialdesk.store.study_yaml import LocatedProblem, locate_problem, read_yaml_model

__all__ = ["check_form_set_text", "load_form_set", "parse_form_set_text"]

FORMS_FILE = "forms.yaml"


def parse_form_set_text(
    text: str, *, name: str = FORMS_FILE, study: Study | None = None
) -> FormSet:
    """The forms in ``text``, or :class:`StudyFileError` listing every error.

    With ``study``, its visit ids and outcome ids are checked too; warnings (a
    visit without forms) do not stop it.
    """
    form_set, found = _read(text, study)
    problems = [problem for problem in found if problem.severity == "error"]
    if problems or form_set is None:
        listing = "\n".join(f"  {name}: {problem}" for problem in problems)
        raise StudyFileError(f"{name}: {len(problems)} problem(s)\n{listing}")
    return form_set


def check_form_set_text(text: str, study: Study | None = None) -> list[LocatedProblem]:
    """Every problem of a forms file's text (empty when it is valid)."""
    return _read(text, study)[1]


def load_form_set(path: Path, study: Study | None = None) -> FormSet:
    """Read and validate a forms file (against ``study`` when given)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StudyFileError(f"{path}: cannot read: {exc}") from exc
    return parse_form_set_text(text, name=str(path), study=study)


def _read(text: str, study: Study | None) -> tuple[FormSet | None, list[LocatedProblem]]:
    not_a_mapping = "expected a mapping with a `forms` key"
    tree, form_set, problems = read_yaml_model(text, FormSet, not_a_mapping)
    if form_set is None or study is None:
        return form_set, problems
    found = check_form_set(
        form_set,
        visit_ids=[visit.id for visit in study.visits],
        outcome_ids=[outcome.id for outcome in study.outcomes],
    )
    return form_set, [
        locate_problem(tree, problem.path, problem.message, problem.severity) for problem in found
    ]
