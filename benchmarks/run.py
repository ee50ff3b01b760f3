"""Time trialdesk's dose-finding computations beside the R peers and print a table.

Each of ours is the best of several runs (``timeit``), after one warm-up run;
the R peers are timed inside one ``Rscript`` (package loading excluded) by
``benchmarks/peers.R`` when ``Rscript`` and the private library ``.r-peers``
exist; otherwise their column says why it is empty. Targets are the issue's; the
variants added later (MLE CRM, adaptive TITE-CRM) have none, only a time per trial.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from trialdesk.design.boin import Boin
from trialdesk.design.crm_design import CrmDesign
from trialdesk.design.crm_monte_carlo import simulate_crm
from trialdesk.design.exact_table import exact_oc_table
from trialdesk.design.exact_three_plus_three import exact_oc
from trialdesk.design.history import DoseLadder
from trialdesk.design.simulate import draw_tolerances, simulate_table
from trialdesk.design.three_plus_three import ThreePlusThree
from trialdesk.design.tite_monte_carlo import simulate_tite

ROOT = Path(__file__).resolve().parents[1]
P_FIVE = (0.05, 0.15, 0.30, 0.45, 0.60)
P_SIX = (0.05, 0.10, 0.20, 0.35, 0.50, 0.70)


@dataclass(frozen=True, slots=True)
class Case:
    """One benchmark: what runs, its target in seconds, the peer's timing key.

    ``trials``: how many simulated trials a run holds, for the time per trial.
    """

    name: str
    run: Callable[[], object]
    target_s: float | None
    peer_key: str | None
    peer_note: str
    trials: int | None = None


def _boin() -> Boin:
    return Boin(target=0.3, ladder=DoseLadder((1, 2, 3, 4, 5)), max_cohorts=10, cohort_size=3)


def _boin_mc() -> object:
    design = _boin()
    tolerances = draw_tolerances(np.random.default_rng(6), 10_000, 30)
    return simulate_table(design, design.table_design, P_FIVE, tolerances)


def _boin_exact() -> object:
    design = _boin()
    return exact_oc_table(design, design.table_design, P_FIVE)


def _three_plus_three_exact() -> object:
    return exact_oc(ThreePlusThree(DoseLadder((1, 2, 3, 4, 5, 6))), P_SIX)


def _crm_mc() -> object:
    design = CrmDesign(DoseLadder((1, 2, 3, 4, 5, 6)), P_SIX, 0.2, max_n=24)
    return simulate_crm(design, P_SIX, draw_tolerances(np.random.default_rng(1009), 10_000, 24))


def _crm_mle_mc() -> object:
    design = CrmDesign(DoseLadder((1, 2, 3, 4, 5, 6)), P_SIX, 0.2, max_n=24, estimation="mle")
    return simulate_crm(design, P_SIX, draw_tolerances(np.random.default_rng(1009), 10_000, 24))


def _tite_adaptive_mc() -> object:
    ladder = DoseLadder((1, 2, 3, 4, 5, 6))
    design = CrmDesign(ladder, P_SIX, 0.2, max_n=24, window_days=28.0, scheme="adaptive")
    tolerances = draw_tolerances(np.random.default_rng(1009), 1_000, 24)
    return simulate_tite(
        design, P_SIX, tolerances, arrival_rate=0.1, rng_times=np.random.default_rng(1010)
    )


CASES = (
    Case(
        "BOIN Monte Carlo, 10,000 trials (5 doses, 10 cohorts of 3)",
        _boin_mc,
        0.3,
        "boin_mc_10000",
        "BOIN::get.oc, ntrial = 10000",
    ),
    Case(
        "BOIN exact OCs (5 doses, 10 cohorts of 3)",
        _boin_exact,
        0.3,
        "boin_mc_10000",
        "BOIN::get.oc, ntrial = 10000 (the peer can only simulate)",
    ),
    Case(
        "3+3 exact OCs, 6 doses",
        _three_plus_three_exact,
        0.010,
        "three_plus_three_exact_6",
        "bcrm::threep3, 6 doses",
    ),
    Case(
        "CRM Monte Carlo, 10,000 trials (6 doses, n = 24)",
        _crm_mc,
        1.0,
        "crm_10000",
        "dfcrm::crmsim (200 trials timed, x 50)",
        10_000,
    ),
    Case(
        "CRM Monte Carlo, MLE, 10,000 trials (6 doses, n = 24)",
        _crm_mle_mc,
        None,
        None,
        "dfcrm::crmsim's MLE needs a two-stage x0 (another design)",
        10_000,
    ),
    Case(
        "TITE-CRM Monte Carlo, adaptive weights, 1,000 trials (n = 24, 28-day window, 0.1/day)",
        _tite_adaptive_mc,
        None,
        "tite_adaptive_1000",
        "dfcrm::titesim(scheme = 'adaptive', accrual = 'poisson') (50 trials timed, x 20)",
        1_000,
    ),
)


def _verdict(seconds: float, target_s: float | None) -> str:
    if target_s is None:
        return "-"
    return f"<= {target_s:g}" + (" ok" if seconds <= target_s else " MISSED")


def _time(run: Callable[[], object]) -> float:
    run()
    return min(timeit.repeat(run, number=1, repeat=5))


def _peers() -> tuple[dict[str, float], str]:
    rscript = shutil.which("Rscript")
    library = ROOT / ".r-peers"
    if rscript is None or not library.is_dir():
        return {}, "R peers not installed (../shared/peers/install-r-peers .r-peers)"
    completed = subprocess.run(  # noqa: S603 - fixed script, our own arguments
        [rscript, str(ROOT / "benchmarks" / "peers.R"), str(library)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if completed.returncode != 0:
        return {}, f"Rscript failed: {completed.stderr.strip()[:200]}"
    timings = json.loads(completed.stdout.strip().splitlines()[-1])
    versions = timings.pop("versions", {})
    note = "R " + ", ".join(f"{name} {version}" for name, version in versions.items())
    peers = {key: float(value) for key, value in timings.items()}
    peers["crm_10000"] = peers["crm_per_trial"] * 10_000  # crmsim timed on 200 trials
    peers["tite_adaptive_1000"] = peers["tite_adaptive_per_trial"] * 1_000  # titesim, 50
    return peers, note


def main() -> None:
    """Run every case, then the peers, and print one table."""
    ours = {case.name: _time(case.run) for case in CASES}
    peers, note = _peers()
    table = Table(title="trialdesk benchmarks (seconds, best of 5)", caption=note)
    columns = ("case", "trialdesk", "ms / trial", "target", "R peer", "peer / ours", "peer call")
    for column in columns:
        table.add_column(column, justify="right" if column != "case" else "left")
    for case in CASES:
        seconds = ours[case.name]
        peer = peers.get(case.peer_key or "")
        table.add_row(
            case.name,
            f"{seconds:.4f}",
            "-" if case.trials is None else f"{seconds / case.trials * 1e3:.3f}",
            _verdict(seconds, case.target_s),
            "-" if peer is None else f"{peer:.4f}",
            "-" if peer is None else f"{peer / seconds:.1f}x",
            case.peer_note,
        )
    Console().print(table)


if __name__ == "__main__":
    main()
