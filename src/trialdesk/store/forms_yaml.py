"""``forms.yaml``: a study's case report forms, read and checked with every problem located.

The forms file sits beside ``study.yaml`` (``studies/<nct_id>/forms.yaml``). Loading
reports *every* problem with its YAML path and line, as ``study.yaml`` does: the
definition errors the models refuse (:mod:`trialdesk.protocol.forms`) and, when the
study is given, the cross-checks against it (its visit ids and registered outcomes,
:func:`trialdesk.protocol.forms.check_form_set`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from trialdesk.errors import StudyFileError
from trialdesk.protocol.checks import Problem, Severity
from trialdesk.protocol.forms import FormSet, check_form_set
from trialdesk.protocol.study import Study
from trialdesk.store.study_yaml import LocatedProblem

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
    try:
        tree = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        return None, [LocatedProblem("(file)", line, f"not valid YAML: {exc.problem}")]
    if not isinstance(tree, dict):
        return None, [LocatedProblem("(file)", 1, "expected a mapping with a `forms` key")]
    try:
        form_set = FormSet.model_validate(_plain(tree))
    except ValidationError as exc:
        return None, [_locate(tree, tuple(error["loc"]), error["msg"]) for error in exc.errors()]
    if study is None:
        return form_set, []
    problems = check_form_set(
        form_set,
        visit_ids=[visit.id for visit in study.visits],
        outcome_ids=[outcome.id for outcome in study.outcomes],
    )
    return form_set, [
        _locate(tree, problem.path, problem.message, problem.severity) for problem in problems
    ]


def _locate(
    tree: object,
    path: tuple[str | int, ...],
    message: str,
    severity: Severity = "error",
) -> LocatedProblem:
    """Attach the line of the deepest node of ``path`` that exists in ``tree``."""
    line = None
    node = tree
    for part in path:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    return LocatedProblem(Problem(path, message).dotted, line, message, severity)


def _plain(value: Any) -> Any:  # noqa: ANN401 - mirrors untyped YAML data
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    # ruamel's scalars subclass the builtins; hand pydantic the builtins (bool before int).
    kind = next((kind for kind in (str, bool, int, float) if isinstance(value, kind)), None)
    return value if kind is None else kind(value)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_unicode = True
    return yaml
