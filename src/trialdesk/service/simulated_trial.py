"""A whole simulated trial of a study, run through the service layer as real use would.

Simulated subjects arrive with screening data (age, labs, the investigator's
attestations; about one in five fails a lab criterion), are screened against the
study's eligibility rules, enrolled into the open cohort, have cells collected and a
product released, are weighed and dosed by weight, and are followed through the DLT
window; each subject's DLT is drawn from the scenario's true probability at its
level, graded (CTCAE grade 3) and adjudicated by the safety reviewer; the safety
review chair confirms each dose decision. Every step is a service call with its
audit entries. The simulation is reproducible from its seed.

Not simulated yet: lab values stored on forms (the labs drive the grade only), other
adverse events, withdrawals and product failures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from sqlalchemy import Engine

from trialdesk.clinical.ctcae import LabResult, grade_ctcae
from trialdesk.clinical.units import Quantity
from trialdesk.conduct.dlt import Waiting, pending_decision
from trialdesk.conduct.dose import ProductRelease, ReleaseResult, WeightMeasurement, compute_dose
from trialdesk.conduct.dose_rules import parse_dose_rules
from trialdesk.conduct.events import (
    AdverseEventRecorded,
    ConsentSigned,
    DltAdjudicated,
    EscalationConfirmed,
    Event,
    Infused,
    LeukapheresisDone,
    PreInfusionChecked,
    ProductReleased,
    ScreeningRecorded,
    SubjectEnrolled,
    SubjectLeft,
    SubjectRegistered,
    VisitRecorded,
)
from trialdesk.conduct.state import TrialState
from trialdesk.eligibility.ast import Attest, Rule
from trialdesk.eligibility.criteria import RuleSet, Section
from trialdesk.eligibility.evaluate import Eligibility, evaluate
from trialdesk.eligibility.subject import Attestation, FactRecord, Observation, SubjectData
from trialdesk.errors import TrialdeskError
from trialdesk.protocol.study import Study
from trialdesk.service.trial import audit_verify, init_trial, record_event, trial_state
from trialdesk.store.study_yaml import parse_study_text
from trialdesk.store.trials import Actor

__all__ = ["CohortLog", "SimulatedTrial", "run_simulated_trial"]

COORDINATOR = Actor("coord01", "Research Coordinator (simulated)", "coordinator", "Hangzhou")
INVESTIGATOR = Actor(
    "pi01", "Principal Investigator (simulated)", "principal_investigator", "Hangzhou"
)
REVIEWER = Actor("safety01", "Safety Reviewer (simulated)", "safety_reviewer", "Hangzhou")
CHAIR = Actor("src01", "Safety Review Committee Chair (simulated)", "src_chair", "Hangzhou")
START = dt.date(2026, 1, 5)
SCREEN_FAILURE_RATE = 0.2
MANUFACTURING_DAYS = 14
MAX_SUBJECTS = 200
FOLLOW_UP_DAYS = 180  # Month 6, the seed's last scheduled visit
DLT_GRADE = 4  # the seed's draft DLT definition: grade 4 thrombocytopenia


@dataclass(frozen=True, slots=True)
class CohortLog:
    """One cohort: its level, subjects, DLTs, and the decision confirmed after it."""

    level: int | str
    subjects: tuple[str, ...]
    dlts: int
    decision: str
    rule: str


@dataclass(frozen=True, slots=True)
class SimulatedTrial:
    """What the simulated trial did, and whether its audit trail verifies."""

    study: str
    subjects: int
    screen_failures: int
    cohorts: tuple[CohortLog, ...]
    mtd: int | str | None
    audit_entries: int
    audit_verified: bool


class _Run:
    """The simulation's moving parts: the engine, the study, the random stream, the clock."""

    def __init__(
        self, engine: Engine, study: Study, true_tox: tuple[float, ...], seed: int
    ) -> None:
        self.engine, self.study = engine, study
        self.nct = study.identification.nct_id
        self.rng = np.random.default_rng(seed)
        labels = [level.label for level in sorted(study.dose_levels, key=lambda lv: lv.order)]
        if len(true_tox) != len(labels):
            raise TrialdeskError(
                f"the scenario gives {len(true_tox)} DLT probabilities; the study has "
                f"{len(labels)} dose levels ({', '.join(map(str, labels))})"
            )
        self.p_dlt = dict(zip(labels, true_tox, strict=True))
        rules = study.eligibility.rules
        if rules is None:
            raise TrialdeskError("the study definition has no eligibility rules to screen with")
        self.rules: RuleSet = rules
        self.dose_rules = parse_dose_rules(study)
        self.day = START
        self.count = 0
        self.screen_failures = 0

    def record(self, event: Event, actor: Actor = COORDINATOR) -> TrialState:
        return record_event(self.engine, self.nct, event, actor, source="system").state


def run_simulated_trial(
    engine: Engine,
    study_yaml: str,
    true_tox: tuple[float, ...],
    *,
    seed: int = 1,
    progress: Callable[[str], None] | None = None,
) -> SimulatedTrial:
    """Run the study's trial to its end on ``engine`` (an empty database) and report it."""
    study = parse_study_text(study_yaml)
    init_trial(engine, study_yaml, CHAIR)
    run = _Run(engine, study, true_tox, seed)
    cohorts: list[CohortLog] = []
    state = trial_state(engine, run.nct)
    while not state.stopped:
        state = _fill_cohort(run, state)
        cohort = state.cohorts[-1]
        state, dlts = _follow_window(run, state)
        state, log = _decide(run, state, cohort.members, dlts)
        cohorts.append(log)
        if progress is not None:
            progress(f"cohort {len(cohorts)} at level {log.level}: {log.dlts} DLT(s), {log.rule}")
    _complete(run, state)
    report = audit_verify(engine)
    return SimulatedTrial(
        study=run.nct,
        subjects=run.count,
        screen_failures=run.screen_failures,
        cohorts=tuple(cohorts),
        mtd=state.mtd,
        audit_entries=report.entries,
        audit_verified=report.verified,
    )


def _fill_cohort(run: _Run, state: TrialState) -> TrialState:
    cohort = state.cohorts[-1]
    while cohort.open_slots > 0:
        if run.count >= MAX_SUBJECTS:
            raise TrialdeskError(f"the simulation stopped after {MAX_SUBJECTS} subjects")
        run.count += 1
        sid = f"{run.nct[-4:]}-{run.count:03d}"
        run.day += dt.timedelta(days=int(run.rng.integers(1, 4)))
        state = _screen(run, sid)
        if state.subjects[sid].status.value == "eligible":
            state = _treat(run, sid)
        cohort = state.cohorts[-1]
    return state


def _screen(run: _Run, sid: str) -> TrialState:
    run.record(SubjectRegistered(subject_id=sid, date=run.day, site="Hangzhou"))
    run.record(ConsentSigned(subject_id=sid, date=run.day, form_version="ICF v1.0"))
    verdict = evaluate(run.rules, _screening_data(run, sid))
    if verdict.status is Eligibility.INCOMPLETE:  # pragma: no cover - the data is complete
        raise TrialdeskError(f"{sid}: screening data incomplete: {verdict.missing}")
    eligible = verdict.status is Eligibility.ELIGIBLE
    failed = tuple(c.criterion for c in verdict.criteria if c.passes.value == "not_met")
    run.screen_failures += not eligible
    event = ScreeningRecorded(
        subject_id=sid, date=run.day, eligible=eligible, failed_criteria=failed
    )
    return run.record(event, INVESTIGATOR)


def _screening_data(run: _Run, sid: str) -> SubjectData:
    """Screening data of a typical end-stage IPF subject; a fifth fail one lab criterion."""
    rng, day = run.rng, run.day
    labs: dict[str, tuple[str, str, dict[str, Decimal]]] = {
        "haematocrit": (f"{rng.uniform(34, 46):.1f}", "%", {}),
        "lymphocytes": (f"{rng.uniform(0.9, 2.8):.2f}", "10*9/L", {}),
        "platelets": (f"{rng.uniform(120, 380):.0f}", "10*9/L", {}),
        "creatinine": (f"{rng.uniform(55, 110):.0f}", "umol/L", {}),
        "ast": (f"{rng.uniform(12, 40):.0f}", "U/L", {"uln": Decimal(40)}),
        "alt": (f"{rng.uniform(10, 45):.0f}", "U/L", {"uln": Decimal(45)}),
        "bilirubin": (f"{rng.uniform(0.3, 1.1):.2f}", "mg/dL", {}),
        "inr": (f"{rng.uniform(0.9, 1.2):.2f}", "{INR}", {}),
        "aptt": (f"{rng.uniform(26, 36):.1f}", "s", {"control": Decimal(30)}),
    }
    if rng.random() < SCREEN_FAILURE_RATE:
        failing: dict[str, tuple[str, str, dict[str, Decimal]]] = {
            "platelets": ("48", "10*9/L", {}),
            "creatinine": ("2.8", "mg/dL", {}),
        }
        name = str(rng.choice(sorted(failing)))
        labs[name] = failing[name]
    observations = [
        Observation(measure=m, value=Decimal(v), unit=u, date=day, source="screening labs", **ref)
        for m, (v, u, ref) in labs.items()
    ]
    fvc_before = Decimal(f"{rng.uniform(1.6, 2.6):.2f}")
    fvc_now = (fvc_before * Decimal("0.86")).quantize(Decimal("0.01"))
    observations += [
        Observation(
            measure="fvc",
            value=fvc_before,
            unit="L",
            date=day - dt.timedelta(days=180),
            source="PFT",
        ),
        Observation(measure="fvc", value=fvc_now, unit="L", date=day, source="PFT"),
    ]
    facts = tuple(
        FactRecord(name=name, present=False, date=day, source="medical history")
        for name in ("cellular_immunotherapy", "acute_exacerbation_of_ipf", "anticoagulant_therapy")
    )
    age = int(rng.integers(45, 75))
    return SubjectData(
        subject_id=sid,
        screening_date=day,
        birth_date=dt.date(day.year - age, 3, 1),
        observations=tuple(observations),
        facts=facts,
        attestations=tuple(_attestations(run.rules, day)),
    )


def _attest_nodes(rule: Rule) -> Iterator[Attest]:
    if isinstance(rule, Attest):
        yield rule
    for child in ("item", "condition", "then"):
        node = getattr(rule, child, None)
        if node is not None:
            yield from _attest_nodes(node)
    for item in getattr(rule, "items", ()):
        yield from _attest_nodes(item)


def _attestations(rules: RuleSet, day: dt.date) -> Iterator[Attestation]:
    """The investigator confirms the inclusion statements and denies the exclusion ones.

    Of inclusion 4's ISHLT alternatives only the lung-function decline is relied on.
    """
    for criterion in rules.criteria:
        holds = criterion.section is Section.INCLUSION
        for node in _attest_nodes(criterion.rule):
            confirms = holds and node.criterion.count(".") == 0
            yield Attestation(
                criterion=node.criterion, holds=confirms, by=INVESTIGATOR.user_id, date=day
            )


def _treat(run: _Run, sid: str) -> TrialState:
    state = run.record(SubjectEnrolled(subject_id=sid, date=run.day))
    level_label = state.subjects[sid].level
    level = next(lv for lv in run.study.dose_levels if lv.label == level_label)
    run.record(LeukapheresisDone(subject_id=sid, date=run.day + dt.timedelta(days=2)))
    infusion_day = run.day + dt.timedelta(days=2 + MANUFACTURING_DAYS + 2)
    infusion_at = dt.datetime.combine(infusion_day, dt.time(10), tzinfo=dt.UTC)
    weight = WeightMeasurement(
        value=Decimal(f"{run.rng.normal(66, 9):.1f}"),
        unit="kg",
        measured_at=infusion_at - dt.timedelta(hours=20),
    )
    target = compute_dose(level, weight=weight, infusion_at=infusion_at, rules=run.dose_rules)
    cells = (target.target_cells * Decimal(f"{run.rng.uniform(0.93, 1.07):.3f}")).quantize(1)
    viability = ReleaseResult("viability", Quantity(Decimal(f"{run.rng.uniform(80, 95):.1f}"), "%"))
    product = ProductRelease(lot=f"LOT-{sid}", cells=cells, results=(viability,))
    dose = compute_dose(
        level, weight=weight, infusion_at=infusion_at, rules=run.dose_rules, product=product
    )
    run.record(
        ProductReleased(subject_id=sid, date=infusion_day - dt.timedelta(days=2), cells=cells)
    )
    run.record(PreInfusionChecked(subject_id=sid, date=infusion_day, passed=True), INVESTIGATOR)
    infused = Infused(
        subject_id=sid,
        date=infusion_day,
        level=level.label,
        dose_cells=dose.product.cells if dose.product else cells,
    )
    return run.record(infused, INVESTIGATOR)


_PLATELETS_LLN = Quantity(Decimal(150), "10*9/L")
_DLT_TERM = "Platelet count decreased"


def _day7_platelets(run: _Run, has_dlt: bool) -> Quantity:  # noqa: FBT001 - drawn outcome
    """A grade 4 count (< 25 x 10^9/L) for a DLT, a normal one otherwise."""
    low, high = (5, 24) if has_dlt else (160, 350)
    return Quantity(Decimal(int(run.rng.integers(low, high + 1))), "10*9/L")


def _follow_window(run: _Run, state: TrialState) -> tuple[TrialState, int]:
    window = state.setup.dlt_window_days
    dlts = 0
    for sid in state.cohorts[-1].members:
        subject = state.subjects[sid]
        if subject.day0 is None or subject.level is None:
            continue
        _visits(run, sid, subject.day0, up_to_day=window)
        day7 = subject.day0 + dt.timedelta(days=7)
        count = _day7_platelets(run, bool(run.rng.random() < run.p_dlt[subject.level]))
        grade = grade_ctcae(_DLT_TERM, LabResult(count, lln=_PLATELETS_LLN))
        if not grade.value:
            continue
        ae_id = f"{sid}-AE1"
        run.record(
            AdverseEventRecorded(
                subject_id=sid,
                date=day7,
                ae_id=ae_id,
                term=_DLT_TERM,
                onset=day7,
                grade=grade.value,
            )
        )
        is_dlt = grade.value >= DLT_GRADE
        adjudication = DltAdjudicated(
            subject_id=sid,
            date=day7 + dt.timedelta(days=1),
            ae_id=ae_id,
            is_dlt=is_dlt,
            related=is_dlt,
            reviewer=REVIEWER.user_id,
        )
        state = run.record(adjudication, REVIEWER)
        dlts += is_dlt
    return state, dlts


def _visits(run: _Run, sid: str, day0: dt.date, *, up_to_day: int, after_day: int = -1) -> None:
    """Record each scheduled post-dose visit of the subject on its nominal day."""
    for visit in run.study.visits:
        if visit.day is not None and after_day < visit.day <= up_to_day:
            date = day0 + dt.timedelta(days=visit.day)
            run.record(VisitRecorded(subject_id=sid, date=date, visit_id=visit.id))


def _decide(
    run: _Run, state: TrialState, members: tuple[str, ...], dlts: int
) -> tuple[TrialState, CohortLog]:
    window = state.setup.dlt_window_days
    days0 = [state.subjects[s].day0 for s in members if state.subjects[s].day0 is not None]
    run.day = max(d for d in days0 if d is not None) + dt.timedelta(days=window + 1)
    due = pending_decision(state, run.day)
    if isinstance(due, Waiting):  # pragma: no cover - every member has completed its window
        raise TrialdeskError(f"the simulation cannot decide: {due.reason}")
    event = EscalationConfirmed(
        date=run.day,
        rule=due.rule,
        next_level=due.next_level,
        confirmed_by=CHAIR.user_id,
        role=CHAIR.role,
    )
    cohort = state.cohorts[-1]
    state = run.record(event, CHAIR)
    decision = "stop" if due.stop else f"next level {due.next_level}"
    log = CohortLog(cohort.level, members, dlts, decision, due.rule)
    return state, log


def _complete(run: _Run, state: TrialState) -> None:
    """Every infused subject completes follow-up (Month 6); the others leave."""
    window = state.setup.dlt_window_days
    for sid, subject in state.subjects.items():
        if subject.day0 is not None:
            _visits(run, sid, subject.day0, up_to_day=FOLLOW_UP_DAYS, after_day=window)
            end = subject.day0 + dt.timedelta(days=FOLLOW_UP_DAYS)
            run.record(SubjectLeft(subject_id=sid, date=end, outcome="completed"))
