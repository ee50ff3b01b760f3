"""``trialdesk calc gli``: a lung-function measurement against its GLI reference equation.

The JSON this command prints is a contract read by other tools: keep the keys
``predicted lln uln z percent_predicted L M S``.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from trialdesk.cli.calc import calc_app
from trialdesk.cli.errors import user_errors
from trialdesk.clinical.gli import (
    Ethnicity,
    GliEquation,
    GliParameter,
    GliResult,
    Sex,
    TransferUnits,
    compute_gli,
)

__all__ = ["gli_command", "render_gli_json", "render_gli_table"]

JSON_KEYS = ("predicted", "lln", "uln", "z", "percent_predicted", "L", "M", "S")


@calc_app.command("gli")
def gli_command(
    equation: Annotated[GliEquation, typer.Option("--equation", help="The GLI equation set.")],
    sex: Annotated[Sex, typer.Option("--sex", help="M or F.")],
    age: Annotated[float, typer.Option("--age", help="Age in decimal years.")],
    height: Annotated[float, typer.Option("--height", help="Height in cm.")],
    parameter: Annotated[GliParameter, typer.Option("--parameter", help="The measurement.")],
    value: Annotated[
        float, typer.Option("--value", help="Measured value; FEV1FVC as a ratio (0.75).")
    ],
    ethnicity: Annotated[
        Ethnicity | None, typer.Option("--ethnicity", help="GLI-2012 group (gli-2012 only).")
    ] = None,
    units: Annotated[
        TransferUnits | None,
        typer.Option("--units", help="TLCO/KCO units: si (default) or traditional."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (a contract).")] = False,
) -> None:
    """Predicted value, LLN, ULN, z-score and percent predicted of one measurement."""
    with user_errors():
        result = compute_gli(
            equation,
            parameter,
            value,
            sex=sex,
            age=age,
            height=height,
            ethnicity=ethnicity,
            units=units,
        )
    if as_json:
        typer.echo(render_gli_json(result))
        return
    Console().print(render_gli_table(result))


def render_gli_json(result: GliResult) -> str:
    """The contract JSON: the numbers only, unrounded."""
    return json.dumps({key: getattr(result, key) for key in JSON_KEYS}, indent=2)


def render_gli_table(result: GliResult) -> Table:
    """A two-column table for people: the inputs used, then the numbers."""
    table = Table(title=f"{result.equation}: {result.reference}", show_header=False)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    ethnicity = "" if result.ethnicity is None else f", {result.ethnicity}"
    units = "" if result.units is None else f" ({result.units} units)"
    table.add_row("inputs", f"{result.sex}, {result.age:g} y, {result.height:g} cm{ethnicity}")
    table.add_row(f"{result.parameter}{units}", f"{result.value:g}")
    for label, number in (
        ("predicted (M)", result.predicted),
        ("LLN (z = -1.645)", result.lln),
        ("ULN (z = +1.645)", result.uln),
        ("z-score", result.z),
        ("percent predicted", result.percent_predicted),
    ):
        table.add_row(label, f"{number:.3f}")
    table.add_row("L, M, S", f"{result.L:.5g}, {result.M:.5g}, {result.S:.5g}")
    return table
