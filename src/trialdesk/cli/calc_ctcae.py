"""``trialdesk calc ctcae``: the CTCAE grade of one laboratory value.

The JSON it prints is a contract: ``grade`` (0-4, or null with ``reason``),
``term``, ``version``, ``rule`` (the band text applied), ``reason`` and ``inputs``.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from trialdesk.cli.calc import calc_app
from trialdesk.cli.errors import user_errors
from trialdesk.clinical.ctcae import DEFAULT_VERSION, ClinicalFacts, Grade, LabResult, grade_ctcae
from trialdesk.clinical.units import Quantity

__all__ = ["ctcae_command", "render_grade"]

TermOpt = Annotated[
    str, typer.Option("--term", help='A CTCAE term, e.g. "Platelet count decreased".')
]
ValueOpt = Annotated[str, typer.Option("--value", help="The laboratory value (a decimal).")]
UnitOpt = Annotated[str, typer.Option("--unit", help="Its UCUM unit, e.g. 10*9/L, mg/dL, U/L.")]
LlnOpt = Annotated[str | None, typer.Option("--lln", help="Lower limit of normal, same unit.")]
UlnOpt = Annotated[str | None, typer.Option("--uln", help="Upper limit of normal, same unit.")]
BaselineOpt = Annotated[str | None, typer.Option("--baseline", help="Baseline value, same unit.")]
SymptomaticOpt = Annotated[
    bool, typer.Option("--symptomatic", help="The subject is symptomatic (else graded lab-only).")
]
AnticoagulatedOpt = Annotated[
    bool, typer.Option("--anticoagulated", help="On anticoagulation (INR graded x baseline).")
]
VersionOpt = Annotated[str, typer.Option("--ctcae-version", help="CTCAE version.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (a contract for tools).")]


def render_grade(grade: Grade) -> str:
    """Two lines for a person: the grade and the rule (or why there is none)."""
    shown = "not graded" if grade.value is None else f"grade {grade.value}"
    detail = grade.rule if grade.reason is None else grade.reason
    return f"{grade.term} (CTCAE v{grade.version}): {shown}\n{detail}"


@calc_app.command("ctcae")
def ctcae_command(
    term: TermOpt,
    value: ValueOpt,
    unit: UnitOpt,
    lln: LlnOpt = None,
    uln: UlnOpt = None,
    baseline: BaselineOpt = None,
    symptomatic: SymptomaticOpt = False,
    anticoagulated: AnticoagulatedOpt = False,
    version: VersionOpt = DEFAULT_VERSION,
    as_json: JsonOpt = False,
) -> None:
    """Grade one laboratory value by CTCAE (v5.0): bands exact, references in the same unit."""

    def quantity(text: str | None) -> Quantity | None:
        return None if text is None else Quantity.of(text, unit)

    with user_errors():
        lab = LabResult(Quantity.of(value, unit), quantity(lln), quantity(uln), quantity(baseline))
        facts = ClinicalFacts(symptomatic=symptomatic, anticoagulated=anticoagulated)
        grade = grade_ctcae(term, lab, facts, version=version)
    if as_json:
        data = {
            "grade": grade.value,
            "term": grade.term,
            "version": grade.version,
            "rule": grade.rule,
            "reason": grade.reason,
            "inputs": grade.inputs,
        }
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    typer.echo(render_grade(grade))
