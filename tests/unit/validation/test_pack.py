"""The validation pack maps tests to requirement ids and says what is proven, failing, missing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from validation.pack import (
    CaseResult,
    Status,
    build_pack,
    load_requirements,
    main,
    read_junit,
    render_markdown,
    requirement_ids,
)

TESTS = Path(__file__).resolve().parents[2]
REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="4">
<testcase classname="integration.trial.test_trial_store" name="test_A1_every_event[sqlite]"/>
<testcase classname="integration.trial.test_trial_store" name="test_A1_every_event[postgresql]">
  <failure message="boom">trace</failure></testcase>
<testcase classname="unit.test_x" name="test_A7_C10_chain_and_backup"/>
<testcase classname="unit.test_x" name="test_A3_skipped"><skipped message="no"/></testcase>
<testcase classname="unit.test_x" name="test_unrelated"/>
</testsuite></testsuites>
"""


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("m::test_A3_audit_rows[sqlite]", ("A3",)),
        ("m::test_A7_C10_chain_and_backup", ("A7", "C10")),
        ("m::test_A10_correction", ("A10",)),
        ("m::test_about_A1_things", ()),
        ("m::test_a1_lowercase", ()),
    ],
)
def test_a_test_names_the_requirements_it_proves(name: str, ids: tuple[str, ...]) -> None:
    assert requirement_ids(name) == ids


def test_the_pack_says_proven_failing_and_no_test(tmp_path: Path) -> None:
    report = tmp_path / "report.xml"
    report.write_text(REPORT, "utf-8")
    results = read_junit(report)
    assert CaseResult("unit.test_x::test_A3_skipped", "skipped") in results
    rows = {row.requirement.id: row for row in build_pack(load_requirements(), results)}
    assert rows["A1"].status is Status.FAILING  # one of its two tests failed
    assert rows["A7"].status is Status.PROVEN
    assert rows["C10"].status is Status.PROVEN
    assert rows["A3"].status is Status.FAILING  # a skipped test proves nothing
    assert rows["B4"].status is Status.NO_TEST
    markdown = render_markdown(list(rows.values()))
    assert "| B4 |" in markdown
    assert "2 proven" in markdown


def test_main_writes_the_pack_and_fails_on_a_failing_test(tmp_path: Path) -> None:
    report = tmp_path / "report.xml"
    report.write_text(REPORT, "utf-8")
    assert main(["--junit", str(report), "--out", str(tmp_path / "pack")]) == 1
    assert (tmp_path / "pack" / "validation-pack.json").read_text("utf-8").startswith("[")


def test_the_requirement_list_has_every_checklist_id_once() -> None:
    ids = [req.id for req in load_requirements()]
    expected = [f"A{i}" for i in range(1, 11)] + [f"B{i}" for i in range(1, 9)]
    expected += [f"C{i}" for i in range(1, 13)]
    assert ids == expected


# The requirements the trial-conduct issue owns (PART11 A1-A10 with C2, C6, C10) each have
# at least one test that names them; the web issue owns B and the rest of C.
OWNED = [f"A{i}" for i in range(1, 11)] + ["C2", "C6", "C10"]
NAMED = {
    found.group(1)
    for path in TESTS.rglob("test_*.py")
    for found in re.finditer(r"def test_((?:[A-C][0-9]+_)+)", path.read_text("utf-8"))
}


@pytest.mark.parametrize("requirement", OWNED)
def test_C12_every_owned_requirement_has_a_named_test(requirement: str) -> None:
    named = {rid for chain in NAMED for rid in chain.rstrip("_").split("_")}
    assert requirement in named
