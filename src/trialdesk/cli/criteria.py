"""``trialdesk criteria parse`` and ``trialdesk screen``: thresholds and verdicts.

``criteria parse`` reads criteria text into thresholds; ``screen`` gives one subject's
verdict with its evidence. The JSON shapes are a contract (issue 6).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from trialdesk.cli.errors import user_errors
from trialdesk.eligibility.evaluate import Verdict, evaluate
from trialdesk.eligibility.parse import ParsedThreshold, parse_criterion
from trialdesk.eligibility.subject import SubjectData
from trialdesk.errors import InputError, RecordError, TrialdeskError
from trialdesk.protocol import parse_record_text, read_record_criteria
from trialdesk.protocol.criteria import CriterionItem
from trialdesk.store import load_study

__all__ = ["criteria_app", "load_subject", "screen_command"]

criteria_app = typer.Typer(no_args_is_help=True, help="Read eligibility criteria into rules.")


def load_criteria(path: Path) -> tuple[str, tuple[CriterionItem, ...], tuple[CriterionItem, ...]]:
    """The NCT number, inclusion and exclusion items of a study.yaml or a registry record.

    A record's criteria are read whatever kind of study it is (an observational or
    withdrawn one too): parsing criteria runs no trial.
    """
    if path.suffix in {".yaml", ".yml"}:
        study = load_study(path)
        eligibility = study.eligibility
        return study.identification.nct_id, eligibility.inclusion, eligibility.exclusion
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TrialdeskError(f"{path}: no such file") from None
    try:
        nct_id, criteria = read_record_criteria(parse_record_text(text))
    except RecordError as error:
        raise type(error)(f"{path}: {error}") from error
    return nct_id, criteria.inclusion, criteria.exclusion


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _threshold_json(threshold: ParsedThreshold) -> dict[str, object]:
    return {
        "measure": threshold.measure,
        "comparator": threshold.comparator.value,
        "value": _number(threshold.value),
        "unit": threshold.unit,
        "as_written": threshold.as_written,
        "condition": threshold.condition,
        "any_of": threshold.any_of,
        "ucum": threshold.ucum,
        "unit_implied": threshold.unit_implied,
        "decline_over_days": threshold.decline_over_days,
    }


def _item_json(item: CriterionItem, n: int) -> dict[str, object]:
    parsed = parse_criterion(item.id, item.text)
    return {
        "n": n,
        "id": item.id,
        "text": item.text,
        "subitems": [_item_json(sub, k) for k, sub in enumerate(item.sub_items, start=1)],
        "thresholds": [_threshold_json(t) for t in parsed.thresholds],
        "warnings": list(parsed.warnings),
        "rule": str(parsed.rule),
    }


@criteria_app.command("parse")
def criteria_parse_command(
    source: Annotated[Path, typer.Argument(help="A registry record (JSON or page) or study.yaml.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the contract JSON.")] = False,
) -> None:
    """Print each criterion's parsed thresholds and what could not be read."""
    with user_errors():
        nct_id, inclusion, exclusion = load_criteria(source)
    sections = {
        "inclusion": [_item_json(item, n) for n, item in enumerate(inclusion, 1)],
        "exclusion": [_item_json(item, n) for n, item in enumerate(exclusion, 1)],
    }
    if as_json:
        typer.echo(json.dumps(sections, indent=2, ensure_ascii=False))
        return
    table = Table(title=f"Criteria of {nct_id}")
    for column in ("id", "thresholds", "warnings"):
        table.add_column(column, overflow="fold")
    for row in _rows((*inclusion, *exclusion)):
        table.add_row(*row)
    Console().print(table)


def _rows(items: tuple[CriterionItem, ...]) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    for item in items:
        parsed = parse_criterion(item.id, item.text)
        shown = "\n".join(
            f"{t.measure} {t.comparator.value} {t.value} {t.unit or ''}".rstrip()
            for t in parsed.thresholds
        )
        rows.append((item.id, shown or "-", "\n".join(parsed.warnings)))
        rows.extend(_rows(item.sub_items))
    return rows


def load_subject(path: Path) -> SubjectData:
    """A subject's data from JSON, refused with the first field that does not validate."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TrialdeskError(f"{path}: no such file") from None
    try:
        return SubjectData.model_validate_json(text)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InputError(f"{path}: {where}", first.get("input"), first["msg"]) from None


def verdict_json(verdict: Verdict) -> dict[str, object]:
    """The verdict as the contract's JSON."""
    return {
        "subject_id": verdict.subject_id,
        "status": verdict.status.value,
        "reason": verdict.reason,
        "missing": list(verdict.missing),
        "criteria": [
            {
                "criterion": c.criterion,
                "section": c.section.value,
                "status": c.status.value,
                "passes": c.passes.value,
                "evidence": [
                    {
                        "rule": e.rule,
                        "truth": e.truth.value,
                        "reason": e.reason,
                        "measure": e.measure,
                        "value": None if e.value is None else str(e.value),
                        "unit": e.unit,
                        "date": None if e.date is None else e.date.isoformat(),
                        "source": e.source,
                        "threshold": e.threshold,
                        "conversion": e.conversion,
                    }
                    for e in c.evidence
                ],
            }
            for c in verdict.criteria
        ],
    }


def screen_command(
    subject: Annotated[Path, typer.Argument(help="The subject's data (JSON).")],
    study_path: Annotated[Path, typer.Option("--study", help="The study.yaml with the rules.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
) -> None:
    """Screen one subject against the study's eligibility rules, with the evidence."""
    with user_errors():
        study = load_study(study_path)
        rules = study.eligibility.rules
        if rules is None:
            raise TrialdeskError(f"{study_path}: the study definition has no eligibility rules")
        verdict = evaluate(rules, load_subject(subject))
    if as_json:
        typer.echo(json.dumps(verdict_json(verdict), indent=2, ensure_ascii=False))
        return
    table = Table(title=f"{verdict.subject_id}: {verdict.status.value} ({verdict.reason})")
    for column in ("criterion", "holds", "passes", "evidence"):
        table.add_column(column, overflow="fold")
    for c in verdict.criteria:
        evidence = "\n".join(f"{e.truth.value}: {e.reason}" for e in c.evidence)
        table.add_row(c.criterion, c.status.value, c.passes.value, evidence)
    Console().print(table)
