"""``trialdesk calc crs|icans|transplant-decline``: ASTCT grades and transplant-listing decline.

The JSON these commands print is a contract read by other tools: keep the keys.
``crs`` and ``icans`` print ``grade status algorithm version rule reason inputs``;
``transplant-decline`` prints ``algorithm version threshold_pct`` and, per measure
(``fvc``, ``dlco``), per reading (``relative``, ``absolute-points``):
``meets decline unit basis status algorithm version rule reason inputs``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from typing import Annotated

import typer

from trialdesk.cli.calc import calc_app
from trialdesk.cli.errors import user_errors
from trialdesk.clinical.crs_icans import (
    Consciousness,
    Hypotension,
    MotorFinding,
    OxygenSupport,
    RaisedIcp,
    Seizure,
    grade_crs,
    grade_icans,
)
from trialdesk.clinical.results import Assessment, AssessmentInputError, InputValue, exact
from trialdesk.clinical.transplant import (
    DECLINE_THRESHOLD_PCT,
    TRANSPLANT_ALGORITHM,
    TRANSPLANT_VERSION,
    Comparison,
    DeclineReading,
    LungMeasure,
    Pair,
    evaluate_both_readings,
)

__all__ = [
    "crs_command",
    "icans_command",
    "parse_pair",
    "render_assessment_json",
    "render_assessment_text",
    "render_decline_json",
    "transplant_decline_command",
]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (a contract for tools).")]


@calc_app.command("crs")
def crs_command(
    temp: Annotated[float, typer.Option("--temp", help="Highest temperature, °C.")],
    hypotension: Annotated[Hypotension, typer.Option("--hypotension", help="Hypotension row.")],
    oxygen: Annotated[OxygenSupport, typer.Option("--oxygen", help="Oxygen support row.")],
    antipyretic: Annotated[
        bool,
        typer.Option(
            "--antipyretic", help="Antipyretic or anti-cytokine therapy given: fever waived."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """ASTCT CRS grade (Lee et al. 2019): fever, then the worse of hypotension and hypoxia."""
    with user_errors():
        result = grade_crs(temp, hypotension, oxygen, antipyretic_or_anticytokine=antipyretic)
    _show(result, "CRS", as_json=as_json)


@calc_app.command("icans")
def icans_command(
    ice: Annotated[int, typer.Option("--ice", help="ICE score 0-10.")],
    consciousness: Annotated[
        Consciousness, typer.Option("--consciousness", help="Level of consciousness.")
    ],
    seizure: Annotated[Seizure, typer.Option("--seizure", help="Seizure row.")] = Seizure.NONE,
    motor: Annotated[
        MotorFinding, typer.Option("--motor", help="Motor findings row.")
    ] = MotorFinding.NONE,
    raised_icp: Annotated[
        RaisedIcp, typer.Option("--raised-icp", help="Raised ICP / cerebral oedema row.")
    ] = RaisedIcp.NONE,
    as_json: JsonOpt = False,
) -> None:
    """ASTCT ICANS grade for adults (Lee et al. 2019): the most severe of five domains."""
    with user_errors():
        result = grade_icans(ice, consciousness, seizure, motor, raised_icp)
    _show(result, "ICANS", as_json=as_json)


@calc_app.command("transplant-decline")
def transplant_decline_command(
    fvc_l: Annotated[str, typer.Option("--fvc-l", help="FVC in L: BEFORE,AFTER.")],
    fvc_pp: Annotated[str, typer.Option("--fvc-pp", help="FVC % predicted: BEFORE,AFTER.")],
    dlco_pp: Annotated[
        str | None, typer.Option("--dlco-pp", help="DLCO % predicted: BEFORE,AFTER.")
    ] = None,
    comparison: Annotated[
        Comparison,
        typer.Option("--comparison", help="ge: >= 10 % (protocol); gt: > 10 % (ISHLT 2021)."),
    ] = Comparison.AT_LEAST,
    as_json: JsonOpt = False,
) -> None:
    """Transplant-listing FVC/DLCO decline over 6 months (ISHLT) under both readings."""
    with user_errors():
        measures = {
            LungMeasure.FVC: evaluate_both_readings(
                LungMeasure.FVC,
                measured=parse_pair(fvc_l, "--fvc-l"),
                percent_predicted=parse_pair(fvc_pp, "--fvc-pp"),
                comparison=comparison,
            )
        }
        if dlco_pp is not None:
            measures[LungMeasure.DLCO] = evaluate_both_readings(
                LungMeasure.DLCO,
                percent_predicted=parse_pair(dlco_pp, "--dlco-pp"),
                comparison=comparison,
            )
    if as_json:
        typer.echo(render_decline_json(measures))
        return
    typer.echo(f"{TRANSPLANT_ALGORITHM} ({TRANSPLANT_VERSION})")
    for readings in measures.values():
        for reading, result in readings.items():
            verdict = "meets" if result.value else "does not meet"
            typer.echo(f"{reading.value:>15}: {verdict} - {result.reason} [{result.rule}]")


def parse_pair(text: str, argument: str) -> Pair:
    """``"2.0,1.8"`` to a (before, after) pair of decimal texts, refused by name."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 2 or not all(parts):
        raise AssessmentInputError(argument, text, "two numbers BEFORE,AFTER, e.g. 2.0,1.8")
    for part in parts:
        exact(argument, part)
    return parts[0], parts[1]


def _json_value(value: InputValue) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal | Fraction):
        return float(value)
    return value


def _assessment_dict(result: Assessment[int] | Assessment[bool]) -> dict[str, object]:
    return {
        "status": result.status.value,
        "algorithm": result.algorithm,
        "version": result.version,
        "rule": result.rule,
        "reason": result.reason,
        "inputs": {name: _json_value(value) for name, value in result.inputs},
    }


def render_assessment_json(result: Assessment[int]) -> str:
    """The contract JSON of a grade: ``grade`` (null when unknown) and how it was reached."""
    return json.dumps({"grade": result.value, **_assessment_dict(result)}, indent=2)


def render_assessment_text(result: Assessment[int], name: str) -> str:
    """Three lines for people: the grade and rule, the reason, the source."""
    grade = "unknown" if result.value is None else str(result.value)
    return (
        f"{name} grade {grade}  [{result.rule}]\n{result.reason}\n"
        f"{result.algorithm} ({result.version})"
    )


def render_decline_json(
    measures: dict[LungMeasure, dict[DeclineReading, Assessment[bool]]],
) -> str:
    """The contract JSON of ``transplant-decline``: both readings of every measure given."""
    data: dict[str, object] = {
        "algorithm": TRANSPLANT_ALGORITHM,
        "version": TRANSPLANT_VERSION,
        "threshold_pct": float(DECLINE_THRESHOLD_PCT),
    }
    for measure, readings in measures.items():
        data[measure.value] = {
            reading.value: {
                "meets": result.value,
                **{
                    name: _json_value(value)
                    for name, value in result.derived
                    if name != "threshold"
                },
                **_assessment_dict(result),
            }
            for reading, result in readings.items()
        }
    return json.dumps(data, indent=2)


def _show(result: Assessment[int], name: str, *, as_json: bool) -> None:
    typer.echo(render_assessment_json(result) if as_json else render_assessment_text(result, name))
