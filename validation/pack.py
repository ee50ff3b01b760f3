"""The validation pack: each electronic-records requirement, the tests that prove it, their result.

PART11 C12 asks that every requirement id appear in a test name and that a release bundle
"requirement -> test -> result". This reads the requirement list
(``validation/requirements.yaml``) and a JUnit XML report of the test run, and writes the
pack as Markdown and JSON. A requirement with no test is listed as such, never hidden:
the pack says what is proven, what fails and what is not built.

Run ``scripts/validation-pack`` (it runs the named tests, then this module), or
``python -m validation.pack --junit report.xml`` on a report of a run already made.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from xml.etree import ElementTree as ET

from rich.console import Console
from rich.table import Table
from ruamel.yaml import YAML

__all__ = [
    "CaseResult",
    "Requirement",
    "Row",
    "Status",
    "build_pack",
    "load_requirements",
    "read_junit",
    "render_markdown",
    "requirement_ids",
]

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.yaml"
_IDS = re.compile(r"^test_((?:[A-C][0-9]+_)+)")


class Status(StrEnum):
    """Where a requirement stands in this run."""

    PROVEN = "proven"
    FAILING = "failing"
    NO_TEST = "no test"


@dataclass(frozen=True, slots=True)
class Requirement:
    """One requirement: its id, what it says, where it comes from."""

    id: str
    statement: str
    source: str


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One test case of the report: its full name and outcome."""

    name: str
    outcome: str  # passed, failed, error or skipped


@dataclass(frozen=True, slots=True)
class Row:
    """A requirement with the tests that name it and the verdict they give."""

    requirement: Requirement
    tests: tuple[CaseResult, ...]

    @property
    def status(self) -> Status:
        """Proven when every named test passed; a skipped test proves nothing."""
        if not self.tests:
            return Status.NO_TEST
        if all(test.outcome == "passed" for test in self.tests):
            return Status.PROVEN
        return Status.FAILING


def load_requirements(path: Path = REQUIREMENTS) -> list[Requirement]:
    """The requirement list, in its order."""
    rows = YAML(typ="safe").load(path.read_text("utf-8"))
    return [Requirement(str(r["id"]), str(r["statement"]), str(r["source"])) for r in rows]


def read_junit(path: Path) -> list[CaseResult]:
    """Every test case of a JUnit XML report (pytest's ``--junitxml``)."""
    root = ET.parse(path).getroot()  # noqa: S314 - our own test run's report
    results = []
    for case in root.iter("testcase"):
        outcome = "passed"
        for tag in ("failure", "error", "skipped"):
            if case.find(tag) is not None:
                outcome = {"failure": "failed"}.get(tag, tag)
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        results.append(CaseResult(name, outcome))
    return results


def requirement_ids(test_name: str) -> tuple[str, ...]:
    """The requirement ids a test names: ``test_A1_C2_...`` proves A1 and C2."""
    function = test_name.rpartition("::")[2]
    found = _IDS.match(function)
    return tuple(found.group(1).rstrip("_").split("_")) if found else ()


def build_pack(requirements: Sequence[Requirement], results: Sequence[CaseResult]) -> list[Row]:
    """One row per requirement with the tests that name its id."""
    return [
        Row(req, tuple(t for t in results if req.id in requirement_ids(t.name)))
        for req in requirements
    ]


def render_markdown(rows: Sequence[Row]) -> str:
    """The pack as a Markdown table: requirement, statement, tests, result."""
    lines = [
        "# Validation pack: requirement -> test -> result",
        "",
        "| id | requirement | source | tests | result |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        tests = "<br>".join(f"`{t.name}` {t.outcome}" for t in row.tests) or "none"
        req = row.requirement
        lines.append(f"| {req.id} | {req.statement} | {req.source} | {tests} | {row.status} |")
    counts = {status: sum(row.status is status for row in rows) for status in Status}
    summary = ", ".join(f"{count} {status}" for status, count in counts.items())
    return "\n".join([*lines, "", f"{len(rows)} requirements: {summary}.", ""])


def _table(rows: Sequence[Row]) -> Table:
    table = Table(title="Validation pack (PART11 C12)")
    for column in ("id", "requirement", "tests", "result"):
        table.add_column(column)
    style = {Status.PROVEN: "green", Status.FAILING: "red", Status.NO_TEST: "yellow"}
    for row in rows:
        passed = sum(test.outcome == "passed" for test in row.tests)
        shown = f"{passed}/{len(row.tests)} passed" if row.tests else "-"
        status = f"[{style[row.status]}]{row.status}[/]"
        table.add_row(row.requirement.id, row.requirement.statement, shown, status)
    return table


def _run_named_tests(report: Path) -> None:
    """Run every test whose name carries a requirement id, writing a JUnit report."""
    ids = [req.id for req in load_requirements()]
    selection = " or ".join(f"test_{rid}_" for rid in ids)
    command = [sys.executable, "-m", "pytest", "-q", "-k", selection, f"--junitxml={report}"]
    subprocess.run(command, check=False)  # noqa: S603 - our interpreter and fixed arguments


def main(argv: Sequence[str] | None = None) -> int:
    """Write the pack; exit 1 when a named test fails (missing tests are listed, not fatal)."""
    parser = argparse.ArgumentParser(prog="python -m validation.pack", description=__doc__)
    parser.add_argument("--junit", type=Path, help="a JUnit XML report (default: run the tests)")
    parser.add_argument("--out", type=Path, default=Path("validation-pack"), help="output folder")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        report = args.junit
        if report is None:
            report = Path(folder) / "report.xml"
            _run_named_tests(report)
        rows = build_pack(load_requirements(), read_junit(report))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "validation-pack.md").write_text(render_markdown(rows), "utf-8")
    payload = [
        {
            **asdict(row.requirement),
            "status": str(row.status),
            "tests": [asdict(t) for t in row.tests],
        }
        for row in rows
    ]
    (args.out / "validation-pack.json").write_text(json.dumps(payload, indent=2) + "\n", "utf-8")
    console = Console()
    console.print(_table(rows))
    console.print(
        f"written: {args.out / 'validation-pack.md'}, {args.out / 'validation-pack.json'}"
    )
    return 1 if any(row.status is Status.FAILING for row in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
