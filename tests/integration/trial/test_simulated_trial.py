"""The simulated trial through the service layer: known scenarios give the 3+3's known path."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import URL, func, select

from trialdesk.conduct.events import FormEntryRecorded
from trialdesk.conduct.state import Status, TrialState
from trialdesk.service import trial_state
from trialdesk.service.simulated_trial import SimulatedTrial, run_simulated_trial
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
