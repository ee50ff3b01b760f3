"""``trialdesk calc sgrq``: score one St George's Respiratory Questionnaire.

The input is a JSON object of item id to response code (the coding contract of
:mod:`trialdesk.clinical.sgrq`). With ``--json`` the output is a contract read
by other tools: ``symptoms``, ``activity``, ``impacts``, ``total`` (``null`` when
not scored), ``missing`` (per component), ``not_scored`` (reasons), ``q6_skipped``,
``algorithm`` and ``version``. Keep the keys.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from trialdesk.cli.calc import calc_app
from trialdesk.cli.errors import user_errors
from trialdesk.clinical.sgrq import SgrqInputError, SgrqScore, compute_sgrq
from trialdesk.errors import TrialdeskError

__all__ = ["render_sgrq_json", "render_sgrq_text", "sgrq_command"]


@calc_app.command("sgrq")
def sgrq_command(
    responses: Annotated[
        Path,
        typer.Argument(help='JSON object of item id to code, e.g. {"q1": 2, "q6": "NA"}.'),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (a contract for tools).")
    ] = False,
) -> None:
    """Score the SGRQ (manual 2.3): Symptoms, Activity, Impacts and Total, 0 best to 100 worst."""
    with user_errors():
        score = compute_sgrq(_load_responses(responses))
    typer.echo(render_sgrq_json(score) if as_json else render_sgrq_text(score))


def _load_responses(path: Path) -> dict[str, object]:
    """Read the responses file; a file that is not a JSON object is refused."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TrialdeskError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TrialdeskError(f"{path}: cannot read: {exc}") from exc
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TrialdeskError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise SgrqInputError("responses", type(data).__name__, "a JSON object of item id to code")
    return data


def _as_dict(score: SgrqScore) -> dict[str, object]:
    return {
        "symptoms": score.symptoms,
        "activity": score.activity,
        "impacts": score.impacts,
        "total": score.total,
        "missing": score.missing,
        "not_scored": score.reasons,
        "q6_skipped": score.q6_skipped,
        "algorithm": score.algorithm,
        "version": score.version,
    }


def render_sgrq_json(score: SgrqScore) -> str:
    """The contract JSON of a score (full precision; ``null`` when not scored)."""
    return json.dumps(_as_dict(score), indent=2)


def render_sgrq_text(score: SgrqScore) -> str:
    """A short report for people: one line per score, rounded to one decimal."""
    lines = [f"SGRQ ({score.version})"]
    rows = (
        ("Symptoms", score.symptoms, "symptoms"),
        ("Activity", score.activity, "activity"),
        ("Impacts", score.impacts, "impacts"),
        ("Total", score.total, "total"),
    )
    missing, reasons = score.missing, score.reasons
    for label, value, key in rows:
        shown = f"{value:5.1f}" if value is not None else "  n/a"
        note = reasons.get(key) or (f"{missing[key]} missing" if missing.get(key) else "")
        lines.append(f"{label:<9}{shown}" + (f"  ({note})" if note else ""))
    if score.q6_skipped:
        lines.append("Q6 skipped: no severe attacks (Q5), left out of the denominators.")
    return "\n".join(lines)
