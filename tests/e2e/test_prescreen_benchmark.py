"""``python -m benchmarks.prescreen`` end to end on a small registry: both engines agree.

The benchmark is not part of CI at its full size (a million subjects); this runs it on
2,000 so that it keeps working, and checks what its table must show: each rule set's
counts the same on SQLite and on PostgreSQL, adding up to the subjects drawn, and the
PostgreSQL floor line with both of its figures.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import cast

REPO = Path(__file__).resolve().parents[2]
SUBJECTS = 2_000


def _table_rows(output: str) -> dict[tuple[str, str], list[int]]:
    """(engine, rules) -> eligible, not eligible, incomplete, candidates."""
    rows: dict[tuple[str, str], list[int]] = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if len(cells) == 9 and cells[0] in {"sqlite", "postgresql"}:
            rows[cells[0], cells[1]] = [int(cell.replace(",", "")) for cell in cells[5:]]
    return rows


def test_benchmark_runs_and_both_engines_give_the_same_counts() -> None:
    done = subprocess.run(  # noqa: S603 - this interpreter, our own module, fixed arguments
        [sys.executable, "-m", "benchmarks.prescreen", "--subjects", str(SUBJECTS), "--no-plans"],
        cwd=REPO,
        env=os.environ | {"COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = _table_rows(done.stdout)
    for rules in ("seed labs", "seed, all 19 criteria"):
        sqlite, postgresql = rows["sqlite", rules], rows["postgresql", rules]
        assert sqlite == postgresql
        eligible, not_eligible, incomplete, candidates = sqlite
        assert eligible + not_eligible + incomplete == SUBJECTS
        assert candidates == eligible + incomplete
        assert 0 < not_eligible < SUBJECTS
    floor = " ".join(done.stdout[done.stdout.index("PostgreSQL floor:") :].split())
    assert floor.startswith("PostgreSQL floor: 2 parts side by side")
    assert "with the rules' codes aggregated (no join, no output):" in floor


def test_registry_is_stored_subject_by_subject_oldest_first() -> None:
    """As ``save_subjects`` writes a registry: each subject's 10 rows together, by date."""
    from benchmarks.prescreen import generate  # noqa: PLC0415 - the benchmark, not the package

    rows = generate(50).observations
    assert [row[0] for row in rows] == [subject for subject in range(1, 51) for _ in range(10)]
    for start in range(0, len(rows), 10):
        dates = [cast("int", row[4]) for row in rows[start : start + 10]]
        assert dates == sorted(dates)
