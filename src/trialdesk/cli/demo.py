"""The demo's simulated trial at the command line: run it with a progress bar, render it.

The JSON shape is a contract (issue 7): ``study``, ``subjects``, ``screen_failures``,
``cohorts`` (``level``, ``subjects``, ``dlts``, ``decision``, ``rule``), ``mtd``,
``audit_entries``, ``audit_verified``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from trialdesk.errors import InputError
from trialdesk.service.simulated_trial import SimulatedTrial, run_simulated_trial
from trialdesk.store.engine import engine_for

__all__ = ["demo_json", "parse_probabilities", "render_demo", "run_demo_trial"]


def parse_probabilities(text: str) -> tuple[float, ...]:
    """``0.10,0.25,0.45`` as probabilities, each in [0, 1], or a refusal naming the value."""
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise InputError("--scenario", text, "comma-separated probabilities") from None
    if not all(0 <= value <= 1 for value in values):
        raise InputError("--scenario", text, "probabilities in [0, 1]")
    return values


def run_demo_trial(
    study_yaml: str,
    forms_yaml: str,
    true_tox: tuple[float, ...],
    *,
    seed: int,
    db: str | None,
    console: Console,
) -> SimulatedTrial:
    """Run the simulated trial on ``db``, or on a fresh SQLite file that is removed after."""
    with tempfile.TemporaryDirectory(prefix="trialdesk-demo-") as folder:
        url = db or f"sqlite:///{Path(folder) / 'demo.db'}"
        with engine_for(url) as engine, console.status("running the trial") as status:
            return run_simulated_trial(
                engine,
                study_yaml,
                true_tox,
                seed=seed,
                forms_yaml=forms_yaml,
                progress=status.update,
            )


def demo_json(result: SimulatedTrial) -> dict[str, object]:
    """The contract's JSON object."""
    return {
        "study": result.study,
        "subjects": result.subjects,
        "screen_failures": result.screen_failures,
        "cohorts": [
            {
                "level": cohort.level,
                "subjects": list(cohort.subjects),
                "dlts": cohort.dlts,
                "decision": cohort.decision,
                "rule": cohort.rule,
            }
            for cohort in result.cohorts
        ],
        "mtd": result.mtd,
        "audit_entries": result.audit_entries,
        "audit_verified": result.audit_verified,
    }


def render_demo(result: SimulatedTrial) -> Table:
    """The cohort-by-cohort decision log, with the MTD and the audit check in the caption."""
    table = Table(title=f"{result.study}: decision log of the simulated 3+3")
    for column in ("cohort", "level", "subjects", "DLTs", "decision", "rule"):
        table.add_column(column)
    for number, cohort in enumerate(result.cohorts, start=1):
        table.add_row(
            str(number),
            str(cohort.level),
            ", ".join(cohort.subjects),
            str(cohort.dlts),
            cohort.decision,
            cohort.rule,
        )
    verified = "verified" if result.audit_verified else "NOT VERIFIED"
    table.caption = (
        f"MTD: {result.mtd if result.mtd is not None else 'none'} · {result.subjects} subjects "
        f"screened, {result.screen_failures} screen failures · {result.audit_entries} audit "
        f"entries, chain {verified}"
    )
    return table
