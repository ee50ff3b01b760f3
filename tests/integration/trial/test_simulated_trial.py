"""The simulated trial through the service layer: known scenarios give the 3+3's known path."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import URL, func, select

from trialdesk.clinical.gli import (
    Ethnicity,
    GliEquation,
    GliParameter,
    Sex,
    TransferUnits,
    compute_gli,
    compute_hb_corrected_transfer,
)
from trialdesk.clinical.sgrq import compute_sgrq
from trialdesk.conduct.events import FormEntryRecorded, SubjectEnrolled
from trialdesk.conduct.state import Status, TrialState
from trialdesk.protocol.forms import FormSet
from trialdesk.service import trial_state
from trialdesk.service.simulated_trial import SimulatedTrial, run_simulated_trial
from trialdesk.service.trial import forms_for_trial
from trialdesk.store.engine import open_engine
from trialdesk.store.trial_schema import EventRow, UserRow
from trialdesk.store.trials import load_events, trial_by_nct

STUDY_YAML = (
    Path(__file__).resolve().parents[3] / "studies" / "NCT07329959" / "study.yaml"
).read_text("utf-8")


def _run(
    tmp_path: Path, true_tox: tuple[float, ...], seed: int = 1
) -> tuple[SimulatedTrial, TrialState, URL]:
    engine = open_engine(f"sqlite:///{tmp_path / 'sim.db'}")
    try:
        result = run_simulated_trial(engine, STUDY_YAML, true_tox, seed=seed)
        return result, trial_state(engine, "NCT07329959"), engine.url
    finally:
        engine.dispose()


def test_no_toxicity_escalates_to_the_top_dose(tmp_path: Path) -> None:
    # 3+3 defaults, start at level 1: 0/3 at 1 -> 2; 0/3 at the top (2) -> MTD 2 (expand_top
    # false): two cohorts, six subjects, every one followed to Month 6.
    result, state, _ = _run(tmp_path, (0.0, 0.0, 0.0))
    assert [(c.level, c.dlts, c.rule) for c in result.cohorts] == [
        (1, 0, "3+3.escalate_after_0_of_3"),
        (2, 0, "3+3.top_dose_mtd"),
    ]
    assert result.mtd == 2
    assert result.audit_verified
    infused = [s for s in state.subjects.values() if s.day0 is not None]
    assert len(infused) == 6
    assert all(s.status is Status.COMPLETED for s in infused)
    assert all(len(s.visits) == 7 for s in infused)  # Day 0, 3, 7, 14, Months 1, 3, 6


def test_certain_toxicity_at_the_start_de_escalates_and_stops_below(tmp_path: Path) -> None:
    # 2+/3 DLTs at level 1 -> level -1 (untested) gets 3, then 3 more; no DLT there -> MTD -1.
    result, _, url = _run(tmp_path, (0.0, 1.0, 1.0))
    levels = [c.level for c in result.cohorts]
    assert levels[0] == 1
    assert result.cohorts[0].dlts == 3
    assert set(levels[1:]) == {-1}
    assert result.mtd == -1
    engine = open_engine(url.render_as_string(hide_password=False))
    with engine.connect() as connection:
        events = connection.execute(select(func.count()).select_from(EventRow)).scalar_one()
        users = connection.execute(select(func.count()).select_from(UserRow)).scalar_one()
    engine.dispose()
    assert events > 0
    # one entry per event, the trial's creation, and each account's creation (on first use)
    assert result.audit_entries == events + 1 + users


FORMS_YAML = (
    Path(__file__).resolve().parents[3] / "studies" / "NCT07329959" / "forms.yaml"
).read_text("utf-8")


def test_labs_are_form_entries_and_the_dlt_is_graded_from_the_day_7_count(
    tmp_path: Path,
) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'forms.db'}")
    try:
        result = run_simulated_trial(
            engine, STUDY_YAML, (0.0, 1.0, 1.0), seed=3, forms_yaml=FORMS_YAML
        )
        state = trial_state(engine, "NCT07329959")
        with engine.connect() as connection:
            trial = trial_by_nct(connection, "NCT07329959")
            entries = [
                event
                for _, event in load_events(connection, trial.id)
                if isinstance(event, FormEntryRecorded)
            ]
    finally:
        engine.dispose()
    assert result.audit_verified
    infused = {sid: s for sid, s in state.subjects.items() if s.day0 is not None}
    cbc = {(e.subject_id, e.visit_id): e.values for e in entries if e.form_id == "cbc"}
    # A blood count at every post-dose visit of the seed's schedule, for every infused subject.
    for sid, subject in infused.items():
        assert {visit for visit, _ in subject.visits} <= {v for s, v in cbc if s == sid}
    # Level 1 is certainly toxic: each of its subjects has a grade 4 count (< 25 x 10^9/L,
    # CTCAE v5.0 "Platelet count decreased") on the Day-7 form, and a DLT assessment
    # that names the DLT's term and onset (required when a DLT occurred).
    assessments = {e.subject_id: e.values for e in entries if e.form_id == "dlt_assessment"}
    for sid, subject in infused.items():
        platelets = cbc[sid, "day_7"]["platelets"]
        assert isinstance(platelets, dict)
        count = Decimal(str(platelets["value"]))
        if subject.level == 1:
            assert count < 25
            assert assessments[sid]["dlt_occurred"] is True
            assert assessments[sid]["dlt_ae_term"] == "Platelet count decreased"
            assert "dlt_onset_date" in assessments[sid]
        else:
            assert count >= 150
            assert assessments[sid]["dlt_occurred"] is False


# The forms that capture the registered outcomes, which the simulation fills wherever the
# study's visit_forms list them (cbc and dlt_assessment are checked above).
OUTCOME_FORMS = {
    "demographics",
    "vital_signs",
    "chemistry",
    "lung_function",
    "six_mwt",
    "qct",
    "sgrq",
    "mrc",
    "crp",
    "lymphocyte_subsets",
    "cytokines",
    "car_copies",
}


@dataclass(frozen=True)
class _FormsRun:
    result: SimulatedTrial
    state: TrialState
    forms: FormSet
    entries: tuple[FormEntryRecorded, ...]


def _run_with_forms(path: Path, true_tox: tuple[float, ...], seed: int) -> _FormsRun:
    engine = open_engine(f"sqlite:///{path}")
    try:
        result = run_simulated_trial(engine, STUDY_YAML, true_tox, seed=seed, forms_yaml=FORMS_YAML)
        with engine.connect() as connection:
            trial = trial_by_nct(connection, "NCT07329959")
            entries = tuple(
                event
                for _, event in load_events(connection, trial.id)
                if isinstance(event, FormEntryRecorded)
            )
        return _FormsRun(
            result,
            trial_state(engine, "NCT07329959"),
            forms_for_trial(engine, "NCT07329959"),
            entries,
        )
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> _FormsRun:
    """The demo's scenario and seed, with the study's forms."""
    return _run_with_forms(tmp_path_factory.mktemp("demo") / "demo.db", (0.10, 0.25, 0.45), 1)


def _number(value: object) -> Decimal:
    """A stored numeric value: a quantity's ``value``, or the bare number."""
    return Decimal(str(value["value"] if isinstance(value, dict) else value))


def _by_key(run: _FormsRun) -> dict[tuple[str, str, str], dict[str, object]]:
    return {(e.subject_id, e.visit_id, e.form_id): e.values for e in run.entries}


def test_every_treated_subject_has_each_outcome_form_at_each_visit_that_lists_it(
    demo_run: _FormsRun,
) -> None:
    entries = _by_key(demo_run)
    visit_forms = demo_run.forms.visit_forms
    infused = {sid: s for sid, s in demo_run.state.subjects.items() if s.day0 is not None}
    assert infused
    for sid, subject in infused.items():
        visits = {"screening"} | {visit for visit, _ in subject.visits}
        expected = {
            (sid, visit, form)
            for visit in visits
            for form in visit_forms.get(visit, ())
            if form in OUTCOME_FORMS
        }
        assert expected <= set(entries), sorted(expected - set(entries))
        # each of them once: the simulation never corrects an entry
        assert all(e.entry_version == 1 for e in demo_run.entries)
    # Subjects who were never treated have no forms at all.
    untreated = set(demo_run.state.subjects) - set(infused)
    assert not {e.subject_id for e in demo_run.entries} & untreated
    # Every outcome form is filled somewhere (a generator dropped would fail here).
    assert {e.form_id for e in demo_run.entries} >= OUTCOME_FORMS


def test_every_entry_is_valid_and_inside_its_forms_ranges_and_codes(demo_run: _FormsRun) -> None:
    forms = demo_run.forms.by_id
    checked = 0
    for entry in demo_run.entries:
        form = forms[entry.form_id]
        for item_id, value in entry.values.items():
            if item_id in {g.id for g in form.groups if g.repeating}:
                continue  # a repeating group's rows: checked below
            item = form.items[item_id]
            if item.range is not None:
                number = _number(value)
                assert item.range.min is None or number >= item.range.min, (entry, item_id)
                assert item.range.max is None or number <= item.range.max, (entry, item_id)
                checked += 1
            if item.codes is not None:
                assert value in item.codes, (entry, item_id)
        # Every required item is there.
        required = {i.id for g in form.groups if not g.repeating for i in g.items if i.required}
        assert required <= set(entry.values), (entry.form_id, required - set(entry.values))
        for group in (g for g in form.groups if g.repeating and g.id in entry.values):
            rows = entry.values[group.id]
            assert isinstance(rows, list)
            for row in rows:
                assert {i.id for i in group.items if i.required} <= set(row)
    assert checked > 1000


def test_lung_function_percent_predicted_is_what_the_gli_equations_give(
    demo_run: _FormsRun,
) -> None:
    entries = _by_key(demo_run)
    lung = [e for e in demo_run.entries if e.form_id == "lung_function"]
    assert lung
    for entry in lung:
        demographics = entries[entry.subject_id, "screening", "demographics"]
        values = entry.values
        assert values["spirometry_equation"] == "gli-2012"
        assert values["dlco_equation"] == "gli-2017"
        birth = dt.date.fromisoformat(str(demographics["birth_date"]))
        tested = dt.date.fromisoformat(str(values["test_date"]))
        age = (tested - birth).days / 365.25
        sex = Sex(str(demographics["sex"]))
        ethnicity = Ethnicity(str(demographics["ethnicity"]))
        height = float(_number(values["test_height"]))
        for item, parameter in (("fvc", GliParameter.FVC), ("fev1", GliParameter.FEV1)):
            expected = compute_gli(
                GliEquation.GLI_2012,
                parameter,
                float(_number(values[item])),
                sex=sex,
                age=age,
                height=height,
                ethnicity=ethnicity,
            ).percent_predicted
            assert abs(_number(values[f"{item}_pct_pred"]) - Decimal(expected)) <= Decimal("0.05")
        corrected = compute_hb_corrected_transfer(
            float(_number(values["dlco"])),
            float(_number(values["dlco_haemoglobin"])),
            sex=sex,
            age=age,
        )
        assert abs(_number(values["dlco_hb_corrected"]) - Decimal(corrected)) <= Decimal("0.05")
        expected_dlco = compute_gli(
            GliEquation.GLI_2017,
            GliParameter.TLCO,
            float(_number(values["dlco_hb_corrected"])),
            sex=sex,
            age=age,
            height=height,
            units=TransferUnits.TRADITIONAL,
        ).percent_predicted
        assert abs(_number(values["dlco_pct_pred"]) - Decimal(expected_dlco)) <= Decimal("0.05")
        ratio = _number(values["fev1"]) / _number(values["fvc"]) * 100
        assert abs(_number(values["fev1_fvc"]) - ratio) <= Decimal("0.05")


def test_fvc_declines_from_screening_to_month_6_in_every_treated_subject(
    demo_run: _FormsRun,
) -> None:
    entries = _by_key(demo_run)
    infused = [sid for sid, s in demo_run.state.subjects.items() if s.day0 is not None]
    for sid in infused:
        screening = _number(entries[sid, "screening", "lung_function"]["fvc"])
        month_6 = _number(entries[sid, "day_180", "lung_function"]["fvc"])
        assert month_6 < screening, sid
        # an IPF cohort's decline: tens to a few hundred mL over six months
        assert Decimal("0.02") <= screening - month_6 <= Decimal("0.3"), sid


def test_sgrq_total_is_the_manuals_score_of_the_answers(demo_run: _FormsRun) -> None:
    for entry in (e for e in demo_run.entries if e.form_id == "sgrq"):
        answers = {k: int(str(v)) for k, v in entry.values.items() if k.startswith("q")}
        score = compute_sgrq(answers)
        assert score.total is not None
        assert abs(_number(entry.values["sgrq_total"]) - Decimal(score.total)) <= Decimal("0.05")


def test_the_same_seed_gives_the_same_entries_and_forms_leave_the_dlt_path_alone(
    tmp_path: Path, demo_run: _FormsRun
) -> None:
    again = _run_with_forms(tmp_path / "again.db", (0.10, 0.25, 0.45), 1)
    assert again.entries == demo_run.entries
    assert again.result == demo_run.result
    # Without forms the same seed takes the same escalation path with the same subjects.
    engine = open_engine(f"sqlite:///{tmp_path / 'no_forms.db'}")
    try:
        bare = run_simulated_trial(engine, STUDY_YAML, (0.10, 0.25, 0.45), seed=1)
    finally:
        engine.dispose()
    assert bare.cohorts == demo_run.result.cohorts
    assert (bare.subjects, bare.screen_failures, bare.mtd) == (
        demo_run.result.subjects,
        demo_run.result.screen_failures,
        demo_run.result.mtd,
    )
    # Each form entry is one more event with its audit entry (and the forms' own, at init).
    assert demo_run.result.audit_entries == bare.audit_entries + len(demo_run.entries) + 1


def test_screening_forms_are_entered_before_the_subject_is_enrolled(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'order.db'}")
    try:
        run_simulated_trial(engine, STUDY_YAML, (0.10, 0.25, 0.45), seed=1, forms_yaml=FORMS_YAML)
        with engine.connect() as connection:
            events = load_events(connection, trial_by_nct(connection, "NCT07329959").id)
    finally:
        engine.dispose()
    enrolled = {e.subject_id: seq for seq, e in events if isinstance(e, SubjectEnrolled)}
    screening = [
        (seq, e.subject_id)
        for seq, e in events
        if isinstance(e, FormEntryRecorded) and e.visit_id == "screening"
    ]
    assert {sid for _, sid in screening} == set(enrolled)
    assert all(seq < enrolled[sid] for seq, sid in screening)
