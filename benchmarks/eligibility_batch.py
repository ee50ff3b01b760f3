"""Time the vectorised eligibility evaluator on a million synthetic subjects (issue 6).

Run: ``python -m benchmarks.eligibility_batch [--subjects N] [--repeat R]``.

The subjects are made directly as NumPy columns (ten observations each: haematocrit,
lymphocytes, two platelet counts, creatinine, AST, ALT, bilirubin, INR, aPTT, in
mixed units, some older than the 28-day window; a birth date; a dialysis record;
three attestations, some missing), so no million pydantic objects are built; their
generation, the batch's validation and the evaluation are timed separately. The
rule set follows the seed study NCT07329959's laboratory criteria. Evaluation is
timed ``--repeat`` times after one warm-up run; the table shows the median and the
best, and the machine's load, since other work may share its cores. A sample of the
subjects is rebuilt as ``SubjectData`` and checked against the scalar ``evaluate``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

import numpy as np
from rich.console import Console
from rich.table import Table

from trialdesk.eligibility import (
    AllOf,
    AnyOf,
    Attest,
    Attestation,
    Between,
    Comparator,
    Compare,
    Criterion,
    Fact,
    FactRecord,
    Observation,
    Rule,
    RuleSet,
    Section,
    SubjectData,
    Threshold,
    evaluate,
)
from trialdesk.eligibility.batch import (
    NO_VALUE,
    SCALE,
    AttestationColumns,
    BatchVerdict,
    FactColumns,
    ObservationColumns,
    SubjectBatch,
    day_number,
    evaluate_batch,
)

TARGET = 100_000  # subjects per second (issue 6)
AS_OF = dt.date(2026, 6, 1)
WINDOW = 28
SAMPLE = 300

# (measure, units with the value range drawn in each (low, high, decimals), ULN, control)
_Range = tuple[str, float, float, int]
_PANEL: tuple[tuple[str, tuple[_Range, ...], int | None, int | None], ...] = (
    ("haematocrit", (("%", 24, 50, 1), ("L/L", 0.24, 0.50, 3)), None, None),
    ("lymphocytes", (("10*9/L", 0.2, 3.5, 2), ("/uL", 200, 3500, 0)), None, None),
    ("platelets", (("10*9/L", 30, 400, 0), ("10*3/uL", 30, 400, 0), ("/uL", 30_000, 400_000, 0)),
     None, None),
    ("platelets", (("10*9/L", 30, 400, 0),), None, None),
    ("creatinine", (("mg/dL", 0.5, 2.8, 2), ("umol/L", 44, 248, 1)), None, None),
    ("ast", (("U/L", 10, 220, 0),), 40, None),
    ("alt", (("U/L", 10, 250, 0),), 45, None),
    ("bilirubin", (("mg/dL", 0.2, 3.3, 1), ("umol/L", 3, 56, 0)), None, None),
    ("inr", (("{INR}", 0.8, 2.7, 2),), None, None),
    ("aptt", (("s", 22, 80, 1),), None, 30),
)  # fmt: skip
_CRITERIA = ("I2", "E3", "E6")


def _compare(cid: str, measure: str, comparator: str, value: str, unit: str) -> Compare:
    threshold = Threshold(value=Decimal(value), unit=unit)
    return Compare(
        criterion=cid, measure=measure, comparator=Comparator(comparator), threshold=threshold
    )


def seed_like_rules() -> RuleSet:
    """The seed study's age, haematology, renal, coagulation and liver limits; attestations."""
    age = Between(
        criterion="I1",
        measure="age",
        low=Threshold(value=Decimal(18), unit="a"),
        high=Threshold(value=Decimal(75), unit="a"),
    )
    rules: tuple[tuple[str, Section, Rule], ...] = (
        ("I1", Section.INCLUSION, age),
        ("I2", Section.INCLUSION, Attest(criterion="I2", statement="written informed consent")),
        ("I6", Section.INCLUSION, AllOf(criterion="I6", items=(
            _compare("I6", "haematocrit", ">", "30", "%"),
            _compare("I6", "lymphocytes", ">", "0.5", "10*9/L"),
            _compare("I6", "platelets", ">", "60", "10*9/L"),
        ))),
        ("E3", Section.EXCLUSION, Attest(criterion="E3", statement="significant active infection")),
        ("E6", Section.EXCLUSION, Attest(criterion="E6", statement="psychiatric illness")),
        ("E8", Section.EXCLUSION, AnyOf(criterion="E8", items=(
            Fact(criterion="E8", name="renal_dialysis"),
            _compare("E8", "creatinine", ">", "2.5", "mg/dL"),
        ))),
        ("E12", Section.EXCLUSION, AnyOf(criterion="E12", items=(
            _compare("E12", "platelets", "<", "50", "10*9/L"),
            _compare("E12", "inr", ">", "2.5", "{INR}"),
            _compare("E12", "aptt", ">", "2.5", "x control"),
        ))),
        ("E13", Section.EXCLUSION, AnyOf(criterion="E13", items=(
            _compare("E13", "ast", ">", "5.0", "x ULN"),
            _compare("E13", "alt", ">", "5.0", "x ULN"),
            _compare("E13", "bilirubin", ">", "3", "mg/dL"),
        ))),
    )  # fmt: skip
    criteria = tuple(
        Criterion(id=cid, section=section, text="seed-like", rule=rule)
        for cid, section, rule in rules
    )
    return RuleSet(criteria=criteria, lab_window_days=WINDOW, lab_window_source="benchmark")


def synthetic_batch(subjects: int, seed: int = 6) -> SubjectBatch:
    """``subjects`` synthetic subjects as columns, ten observations each."""
    rng = np.random.default_rng(seed)
    units = sorted({unit for _, options, _, _ in _PANEL for unit, *_ in options})
    measures = sorted({measure for measure, *_ in _PANEL})
    per = len(_PANEL)
    size = subjects * per
    measure = np.tile([measures.index(m) for m, *_ in _PANEL], subjects).astype(np.int32)
    value = np.empty(size, np.int64)
    unit = np.empty(size, np.int32)
    uln = np.full(size, NO_VALUE, np.int64)
    control = np.full(size, NO_VALUE, np.int64)
    for slot, (_, options, upper, reference) in enumerate(_PANEL):
        rows = np.arange(slot, size, per)
        choice = rng.integers(0, len(options), subjects)
        for k, (name, low, high, decimals) in enumerate(options):
            chosen = rows[choice == k]
            step = 10**decimals
            drawn = rng.integers(round(low * step), round(high * step) + 1, chosen.size)
            value[chosen] = drawn * (SCALE // step)
            unit[chosen] = units.index(name)
        if upper is not None:
            uln[rows] = upper * SCALE
        if reference is not None:
            control[rows] = reference * SCALE
    today = day_number(AS_OF)
    observations = ObservationColumns(
        subject=np.repeat(np.arange(subjects, dtype=np.int32), per),
        measure=measure,
        date=(today - rng.integers(0, 31, size)).astype(np.int32),
        value=value,
        unit=unit,
        lln=np.full(size, NO_VALUE, np.int64),
        uln=uln,
        control=control,
    )
    return SubjectBatch(
        birth_days=(today - rng.integers(15 * 365, 85 * 365, subjects)).astype(np.int32),
        observations=observations,
        measures=tuple(measures),
        units=tuple(units),
        facts=FactColumns(
            subject=np.arange(subjects, dtype=np.int32),
            name=np.zeros(subjects, np.int32),
            present=rng.random(subjects) < 0.01,
            date=(today - rng.integers(0, 3000, subjects)).astype(np.int32),
        ),
        fact_names=("renal_dialysis",),
        attestations=_attestations(rng, subjects),
        criteria=_CRITERIA,
    )


def _attestations(rng: np.random.Generator, subjects: int) -> AttestationColumns:
    subject = np.repeat(np.arange(subjects, dtype=np.int32), len(_CRITERIA))
    criterion = np.tile(np.arange(len(_CRITERIA), dtype=np.int32), subjects)
    kept = rng.random(subject.size) < 0.97
    # Consent (I2) mostly holds; infection (E3) and psychiatric illness (E6) mostly not.
    holds = np.where(
        criterion == 0, rng.random(subject.size) < 0.98, rng.random(subject.size) < 0.03
    )
    return AttestationColumns(subject=subject[kept], criterion=criterion[kept], holds=holds[kept])


def subject_data(batch: SubjectBatch, index: int) -> SubjectData:
    """Subject ``index`` of ``batch`` rebuilt as ``SubjectData``, to check against ``evaluate``."""
    epoch = dt.date(1970, 1, 1)

    def date(day: np.integer) -> dt.date:
        return epoch + dt.timedelta(days=int(day))

    def decimal(scaled: np.integer) -> Decimal | None:
        return None if int(scaled) == NO_VALUE else Decimal(int(scaled)) / SCALE

    rows = batch.observations
    observations = tuple(
        Observation(
            measure=batch.measures[rows.measure[r]],
            value=Decimal(int(rows.value[r])) / SCALE,
            unit=batch.units[rows.unit[r]],
            date=date(rows.date[r]),
            source="synthetic",
            uln=decimal(rows.uln[r]),
            control=decimal(rows.control[r]),
        )
        for r in np.flatnonzero(rows.subject == index)
    )
    facts = batch.facts
    fact_records = tuple(
        FactRecord(name=batch.fact_names[facts.name[r]], present=bool(facts.present[r]),
                   date=date(facts.date[r]), source="synthetic")
        for r in np.flatnonzero(facts.subject == index)
    )  # fmt: skip
    signed = batch.attestations
    attestations = tuple(
        Attestation(criterion=batch.criteria[signed.criterion[r]], holds=bool(signed.holds[r]),
                    by="investigator", date=AS_OF)
        for r in np.flatnonzero(signed.subject == index)
    )  # fmt: skip
    return SubjectData(
        subject_id=f"S{index}",
        screening_date=AS_OF,
        birth_date=date(batch.birth_days[index]),
        observations=observations,
        facts=fact_records,
        attestations=attestations,
    )


_T = TypeVar("_T")


def _timed(run: Callable[[], _T]) -> tuple[_T, float]:
    start = time.perf_counter()
    result = run()
    return result, time.perf_counter() - start


@dataclass(frozen=True, slots=True)
class _Measured:
    subjects: int
    generation: float
    validation: float
    runs: list[float]
    scalar_each: float
    agreeing: int
    sampled: int


def _agreeing(rules: RuleSet, batch: SubjectBatch, verdict: BatchVerdict) -> tuple[int, float]:
    """How many sampled subjects get the scalar verdict, criterion by criterion; its time each."""
    sample = np.random.default_rng(7).choice(
        batch.size, size=min(SAMPLE, batch.size), replace=False
    )
    subjects = [subject_data(batch, int(i)) for i in sample]
    scalar, seconds = _timed(lambda: [evaluate(rules, subject) for subject in subjects])
    agreeing = sum(
        verdict.eligibility_of(int(i)) is expected.status
        and all(verdict.status_of(int(i), c.criterion) is c.status for c in expected.criteria)
        for i, expected in zip(sample, scalar, strict=True)
    )
    return agreeing, seconds / len(subjects)


def main() -> None:
    """Generate, validate, evaluate (timed), check a sample, print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    arguments = parser.parse_args()
    rules = seed_like_rules()
    batch, generation = _timed(lambda: synthetic_batch(arguments.subjects))
    # The same arrays once more through the constructor: what validating them costs.
    _, validation = _timed(lambda: SubjectBatch(
        birth_days=batch.birth_days, observations=batch.observations, measures=batch.measures,
        units=batch.units, facts=batch.facts, fact_names=batch.fact_names,
        attestations=batch.attestations, criteria=batch.criteria,
    ))  # fmt: skip
    verdict = evaluate_batch(rules, batch, AS_OF)  # warm-up
    runs = [_timed(lambda: evaluate_batch(rules, batch, AS_OF))[1] for _ in range(arguments.repeat)]
    agreeing, scalar_each = _agreeing(rules, batch, verdict)
    sampled = min(SAMPLE, batch.size)
    _render(_Measured(batch.size, generation, validation, runs, scalar_each, agreeing, sampled))
    counts = ", ".join(f"{e.value} {c:,}" for e, c in verdict.counts().items())
    Console().print(f"verdicts: {counts}")


def _render(measured: _Measured) -> None:
    n, runs = measured.subjects, measured.runs
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    table = Table(
        title=f"Vectorised eligibility: {n:,} subjects, 10 observations each",
        caption=f"{os.cpu_count()} CPUs, load average {load} (1, 5, 15 min); "
        f"evaluation: {len(runs)} runs after a warm-up",
    )
    for column in ("step", "seconds", "subjects / s", "target", ""):
        table.add_column(column, justify="left" if column == "step" else "right")
    table.add_row("generate the columns (NumPy)", f"{measured.generation:.2f}", "", "", "")
    validation = measured.validation
    table.add_row("validate the columns", f"{validation:.2f}", _rate(n, validation), "", "")
    median, best = statistics.median(runs), min(runs)
    for label, seconds in (("evaluate_batch, median", median), ("evaluate_batch, best", best)):
        verdict = "ok" if n / seconds >= TARGET else "MISSED"
        table.add_row(label, f"{seconds:.2f}", _rate(n, seconds), f">= {TARGET:,}", verdict)
    each = measured.scalar_each
    table.add_row("scalar evaluate (sample), each", f"{each:.6f}", _rate(1, each), "", "")
    agreement = f"{measured.agreeing}/{measured.sampled}"
    table.add_row("sample: same verdict as evaluate", "", "", "", agreement)
    Console().print(table)


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}"


if __name__ == "__main__":
    main()
