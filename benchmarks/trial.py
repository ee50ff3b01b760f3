"""Time the trial store and service on SQLite: the whole demo trial, and simple writes.

Targets (issue 7): the whole demo trial in <= 5 s on SQLite; 1,000 service calls per
second on SQLite for simple writes with their audit entries. Run with
``uv run python -m benchmarks.trial``; prints a table.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from trialdesk.conduct.events import SubjectRegistered
from trialdesk.service import Actor, init_trial, record_event
from trialdesk.service.simulated_trial import run_simulated_trial
from trialdesk.store.engine import open_engine

ROOT = Path(__file__).resolve().parents[1]
STUDY_YAML = (ROOT / "studies" / "NCT07329959" / "study.yaml").read_text("utf-8")
FORMS_YAML = (ROOT / "studies" / "NCT07329959" / "forms.yaml").read_text("utf-8")
WRITES = 1000


def _demo_seconds(folder: Path) -> float:
    engine = open_engine(f"sqlite:///{folder / 'demo.db'}")
    start = time.perf_counter()
    run_simulated_trial(engine, STUDY_YAML, (0.10, 0.25, 0.45), seed=1, forms_yaml=FORMS_YAML)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def _writes_per_second(folder: Path) -> float:
    engine = open_engine(f"sqlite:///{folder / 'writes.db'}")
    actor = Actor("coord01", "Coordinator", "coordinator", "Hangzhou")
    init_trial(engine, STUDY_YAML, actor)
    day = dt.date(2026, 1, 5)
    start = time.perf_counter()
    for number in range(WRITES):
        event = SubjectRegistered(subject_id=f"S{number:05d}", date=day, site="Hangzhou")
        record_event(engine, "NCT07329959", event, actor)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return WRITES / elapsed


def main() -> None:
    """Measure and print the table."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        demo = _demo_seconds(folder)
        rate = _writes_per_second(folder)
    table = Table(title="trialdesk trial store and service (SQLite, this machine)")
    for column in ("measure", "trialdesk", "target", "meets"):
        table.add_column(column)
    table.add_row("whole demo trial", f"{demo:.2f} s", "<= 5 s", "yes" if demo <= 5 else "no")
    table.add_row(
        f"{WRITES} simple writes with audit entries",
        f"{rate:.0f} calls/s",
        ">= 1000 calls/s",
        "yes" if rate >= 1000 else "no",
    )
    Console().print(table)


if __name__ == "__main__":
    main()
