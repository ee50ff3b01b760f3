"""A whole simulated trial of a study, run through the service layer as real use would.

Simulated subjects arrive with screening data (age, labs, the investigator's
attestations; about one in five fails a lab criterion), are screened against the
study's eligibility rules, enrolled into the open cohort, have cells collected and a
product released, are weighed and dosed by weight, and are followed through the DLT
window; each subject's DLT is drawn from the scenario's true probability at its
level, graded (CTCAE grade 3) and adjudicated by the safety reviewer; the safety
review chair confirms each dose decision. Every step is a service call with its
audit entries. The simulation is reproducible from its seed.

With the study's forms, the labs are case report form entries: a complete blood count
at every post-dose visit whose forms include it (the Day-7 platelet count is the one the
DLT is graded from), and the DLT assessment at the end of the window, each validated
against its form and recorded with its audit entry like any entry.

The forms that capture the registered outcomes are filled too, for every treated subject
at every visit whose forms list them (``visit_forms``), the screening ones as soon as the
subject is found eligible: demographics, vital signs, chemistry, lung function, 6-minute walk,
quantitative CT, SGRQ, MRC, CRP, lymphocyte subsets, cytokines and CAR copies
(:mod:`trialdesk.service.simulated_forms`: an end-stage IPF cohort whose FVC declines over
follow-up). Their values come from a second random stream of the seed, so that they leave
the DLT draws, and so the escalation path of a seed, as they were without forms; the
dosing weight is then the subject's weight on the forms (the draw it replaces is still
made).

Not simulated yet: the other forms (eligibility evidence, physical examination,
leukapheresis, product release, infusion, concomitant medications, acute exacerbations,
disposition, a screening blood count, the adverse events form), adverse events other than
the DLT's, withdrawals and product failures.
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
from trialdesk.protocol.forms import FormSet
from trialdesk.protocol.study import Study
from trialdesk.service.simulated_forms import FORM_VALUES, SubjectProfile, draw_profile
from trialdesk.service.trial import (
    audit_verify,
    forms_for_trial,
    init_trial,
    record_event,
    record_form_entry,
    trial_state,
)
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
        # The forms' values draw from their own stream: the DLT draws stay those of the seed.
        self.forms_rng = np.random.default_rng([seed, 1])
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
        self.forms: FormSet | None = None
        self.profiles: dict[str, SubjectProfile] = {}

    def record(self, event: Event, actor: Actor = COORDINATOR) -> TrialState:
        return record_event(self.engine, self.nct, event, actor, source="system").state

    def enter(
        self, sid: str, visit_id: str, on: dt.date, form_id: str, values: dict[str, object]
    ) -> None:
        """Record a form entry on ``on``, when the trial has the form at that visit."""
        forms = self.forms
        if forms is None or form_id not in forms.visit_forms.get(visit_id, ()):
            return
        record_form_entry(
            self.engine,
            self.nct,
            subject_id=sid,
            visit_id=visit_id,
            form_id=form_id,
            values=values,
            actor=COORDINATOR,
            on=on,
        )


def run_simulated_trial(  # noqa: PLR0913 - the options after * are keyword-only
    engine: Engine,
    study_yaml: str,
    true_tox: tuple[float, ...],
    *,
    seed: int = 1,
    forms_yaml: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> SimulatedTrial:
    """Run the study's trial to its end on ``engine`` (an empty database) and report it.

    With ``forms_yaml`` the trial captures its labs on those forms (module notes).
    """
    study = parse_study_text(study_yaml)
    init_trial(engine, study_yaml, CHAIR, forms_yaml)
    run = _Run(engine, study, true_tox, seed)
    if forms_yaml is not None:
        run.forms = forms_for_trial(engine, run.nct)
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
            _screening_forms(run, sid)
            state = _treat(run, sid)
        cohort = state.cohorts[-1]
    return state


def _screen(run: _Run, sid: str) -> TrialState:
    run.record(SubjectRegistered(subject_id=sid, date=run.day, site="Hangzhou"))
    run.record(ConsentSigned(subject_id=sid, date=run.day, form_version="ICF v1.0"))
    data = _screening_data(run, sid)
    verdict = evaluate(run.rules, data)
    if verdict.status is Eligibility.INCOMPLETE:  # pragma: no cover - the data is complete
        raise TrialdeskError(f"{sid}: screening data incomplete: {verdict.missing}")
    eligible = verdict.status is Eligibility.ELIGIBLE
    failed = tuple(c.criterion for c in verdict.criteria if c.passes.value == "not_met")
    run.screen_failures += not eligible
    event = ScreeningRecorded(
        subject_id=sid, date=run.day, eligible=eligible, failed_criteria=failed
    )
    if eligible and run.forms is not None:
        run.profiles[sid] = draw_profile(run.forms_rng, data)
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
    measured_at = infusion_at - dt.timedelta(hours=20)
    drawn = Decimal(f"{run.rng.normal(66, 9):.1f}")  # drawn either way: later draws stay
    profile = run.profiles.get(sid)
    if profile is not None:  # the weight the subject's forms show
        drawn = Decimal(f"{profile.weight_on(measured_at.date()):.1f}")
    weight = WeightMeasurement(value=drawn, unit="kg", measured_at=measured_at)
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
    if profile is not None:
        run.profiles[sid] = profile.treated(infusion_day, float(level.amount))
    return run.record(infused, INVESTIGATOR)


_PLATELETS_LLN = Quantity(Decimal(150), "10*9/L")
_DLT_TERM = "Platelet count decreased"
_LAB = "Hangzhou central laboratory (simulated)"
# The simulated laboratory's reference ranges: (LLN, ULN, unit) per CBC item.
_CBC_RANGES = {
    "wbc": ("4.0", "10.0", "10*9/L"),
    "neutrophils": ("1.8", "6.3", "10*9/L"),
    "lymphocytes": ("1.1", "3.2", "10*9/L"),
    "haemoglobin": ("11.5", "15.0", "g/dL"),
    "haematocrit": ("35", "45", "%"),
    "platelets": ("150", "400", "10*9/L"),
}


def _day7_platelets(run: _Run, has_dlt: bool) -> Quantity:  # noqa: FBT001 - drawn outcome
    """A grade 4 count (< 25 x 10^9/L) for a DLT, a normal one otherwise."""
    low, high = (5, 24) if has_dlt else (160, 350)
    return Quantity(Decimal(int(run.rng.integers(low, high + 1))), "10*9/L")


def _cbc(run: _Run, sampled_at: dt.datetime, platelets: Quantity | None) -> dict[str, object]:
    """A complete blood count inside the reference ranges, with the given platelet count."""
    values: dict[str, object] = {"sampled_at": sampled_at, "lab_name": _LAB}
    for item, (lln, uln, unit) in _CBC_RANGES.items():
        low, high = Decimal(lln), Decimal(uln)
        drawn = low + (high - low) * Decimal(f"{run.rng.uniform(0.1, 0.9):.2f}")
        value = drawn.quantize(Decimal("0.1"))
        if item == "platelets" and platelets is not None:
            value = platelets.value
        values[item] = {"value": value, "unit": unit, "lln": low, "uln": high}
    return values


def _follow_window(run: _Run, state: TrialState) -> tuple[TrialState, int]:
    window = state.setup.dlt_window_days
    dlts = 0
    for sid in state.cohorts[-1].members:
        subject = state.subjects[sid]
        if subject.day0 is None or subject.level is None:
            continue
        day7 = subject.day0 + dt.timedelta(days=7)
        count = _day7_platelets(run, bool(run.rng.random() < run.p_dlt[subject.level]))
        _visits(run, sid, subject.day0, (-1, window), count)
        grade = grade_ctcae(_DLT_TERM, LabResult(count, lln=_PLATELETS_LLN))
        is_dlt = grade.value is not None and grade.value >= DLT_GRADE
        if grade.value:
            state = _adverse_event(run, sid, day7, grade.value, is_dlt=is_dlt)
        _dlt_assessment(run, sid, subject.day0, window, day7 if is_dlt else None)
        dlts += is_dlt
    return state, dlts


def _adverse_event(run: _Run, sid: str, day7: dt.date, grade: int, *, is_dlt: bool) -> TrialState:
    ae_id = f"{sid}-AE1"
    run.record(
        AdverseEventRecorded(
            subject_id=sid, date=day7, ae_id=ae_id, term=_DLT_TERM, onset=day7, grade=grade
        )
    )
    adjudication = DltAdjudicated(
        subject_id=sid,
        date=day7 + dt.timedelta(days=1),
        ae_id=ae_id,
        is_dlt=is_dlt,
        related=is_dlt,
        reviewer=REVIEWER.user_id,
    )
    return run.record(adjudication, REVIEWER)


def _dlt_assessment(
    run: _Run, sid: str, day0: dt.date, window: int, dlt_onset: dt.date | None
) -> None:
    """The DLT assessment form at the visit that closes the window (when the study has it)."""
    closing = [v.id for v in run.study.visits if v.day == window]
    closed = day0 + dt.timedelta(days=window)
    values: dict[str, object] = {
        "window_complete": True,
        "dlt_evaluable": True,
        "dlt_occurred": dlt_onset is not None,
        "adjudicated_by": REVIEWER.name,
        "adjudicated_on": closed,
    }
    if dlt_onset is not None:
        values |= {"dlt_ae_term": _DLT_TERM, "dlt_onset_date": dlt_onset}
    for visit_id in closing:
        run.enter(sid, visit_id, closed, "dlt_assessment", values)


def _visits(
    run: _Run,
    sid: str,
    day0: dt.date,
    days: tuple[int, int],
    day7_platelets: Quantity | None = None,
) -> None:
    """Record each scheduled visit with ``days[0] < day <= days[1]``, with its blood count."""
    after_day, up_to_day = days
    for visit in run.study.visits:
        if visit.day is not None and after_day < visit.day <= up_to_day:
            date = day0 + dt.timedelta(days=visit.day)
            run.record(VisitRecorded(subject_id=sid, date=date, visit_id=visit.id))
            sampled_at = dt.datetime.combine(date, dt.time(8), tzinfo=dt.UTC)
            platelets = day7_platelets if visit.day == 7 else None
            run.enter(sid, visit.id, date, "cbc", _cbc(run, sampled_at, platelets))
            _outcome_forms(run, sid, visit.id, date)


def _screening_forms(run: _Run, sid: str) -> None:
    """An eligible subject's screening forms, entered before it is enrolled."""
    profile = run.profiles.get(sid)
    if profile is not None:
        _outcome_forms(run, sid, "screening", profile.screening_date)


def _outcome_forms(run: _Run, sid: str, visit_id: str, on: dt.date) -> None:
    """Every simulated form the visit lists, in the order of ``visit_forms``."""
    profile = run.profiles.get(sid)
    if run.forms is None or profile is None:
        return
    for form_id in run.forms.visit_forms.get(visit_id, ()):
        values_of = FORM_VALUES.get(form_id)
        if values_of is not None:
            run.enter(sid, visit_id, on, form_id, values_of(run.forms_rng, profile, on))


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
            _visits(run, sid, subject.day0, (window, FOLLOW_UP_DAYS))
            end = subject.day0 + dt.timedelta(days=FOLLOW_UP_DAYS)
            run.record(SubjectLeft(subject_id=sid, date=end, outcome="completed"))
