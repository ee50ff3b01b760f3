"""The simulated trial through the service layer: known scenarios give the 3+3's known path."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import URL, func, select

from trialdesk.conduct.state import Status, TrialState
from trialdesk.service import trial_state
from trialdesk.service.simulated_trial import SimulatedTrial, run_simulated_trial
from trialdesk.store.engine import open_engine
from trialdesk.store.trial_schema import EventRow

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
    engine.dispose()
    assert events > 0
    assert result.audit_entries == events + 1  # one entry per event, and the trial's creation
