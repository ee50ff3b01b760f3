"""``trialdesk design ...``: dose-finding tables, decisions and operating characteristics.

The JSON these commands print is a contract read by other tools: keep the keys.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from trialdesk.cli.arguments import (
    OptionValue,
    parse_labels,
    parse_option_value,
    parse_options,
    parse_probabilities,
)
from trialdesk.cli.errors import user_errors
from trialdesk.cli.progress import DelayedProgress
from trialdesk.design import Decision, Label, SubjectOutcome, parse_outcomes
from trialdesk.design.catalog import (
    DEFAULT_MAX_COHORTS,
    DEFAULT_TARGET,
    DESIGN_NAMES,
    OPTION_TYPES,
    TABLE_DESIGNS,
    DesignRequest,
    boin_boundaries_of,
    build_design,
    compute_oc,
    decision_table_of,
)
from trialdesk.design.crm import ModelName
from trialdesk.design.decision_table import DecisionTable
from trialdesk.design.duration import TrialDuration, compute_duration
from trialdesk.design.oc import OperatingCharacteristics
from trialdesk.design.paths import PathNode, dose_paths
from trialdesk.design.skeleton import calibrate_skeleton
from trialdesk.errors import DesignInputError, TrialdeskError
from trialdesk.protocol.design_config import design_request
from trialdesk.store import load_study

__all__ = ["design_app"]

design_app = typer.Typer(
    help="Dose-finding designs: decision tables, next decisions, operating characteristics.",
    no_args_is_help=True,
)

DesignOpt = Annotated[
    str, typer.Option("--design", help="One of: " + ", ".join(DESIGN_NAMES) + ".")
]
LabelsOpt = Annotated[
    str | None, typer.Option("--labels", help="Dose labels, lowest first, e.g. -1,1,2.")
]
RequiredLabelsOpt = Annotated[str, typer.Option("--labels", help="Dose labels, lowest first.")]
OutcomesOpt = Annotated[
    str | None, typer.Option("--outcomes", help='Cohorts so far, e.g. "1NNN 2NTN".')
]
StartOpt = Annotated[str | None, typer.Option("--start", help="Start level (a label).")]
TargetOpt = Annotated[float, typer.Option("--target", help="Target DLT rate.", show_default=True)]
CohortOpt = Annotated[int, typer.Option("--cohort-size", help="Subjects per cohort.")]
MaxCohortsOpt = Annotated[int, typer.Option("--max-cohorts", help="Maximum number of cohorts.")]
OptionOpt = Annotated[
    list[str] | None,
    typer.Option("--option", help="NAME=VALUE design option; repeat for several."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (a contract for tools).")]
SkeletonOpt = Annotated[
    str | None, typer.Option("--skeleton", help="CRM prior DLT guesses per dose, increasing.")
]
TableOpt = Annotated[
    Path | None,
    typer.Option("--table", help='Decision table JSON for --design table: {"n": {"y": "E"}}.'),
]
WindowOpt = Annotated[float | None, typer.Option("--window", help="DLT window in days (TITE-CRM).")]


@design_app.command("oc")
def oc_command(
    true_tox: Annotated[str, typer.Option("--true-tox", help="True DLT rates, one per dose.")],
    design: Annotated[
        str | None, typer.Option("--design", help="One of: " + ", ".join(DESIGN_NAMES) + ".")
    ] = None,
    study: Annotated[
        Path | None, typer.Option("--study", help="Take levels, start, options from study.yaml.")
    ] = None,
    labels: LabelsOpt = None,
    start: StartOpt = None,
    target: TargetOpt = DEFAULT_TARGET,
    cohort_size: CohortOpt = 3,
    max_cohorts: MaxCohortsOpt = DEFAULT_MAX_COHORTS,
    option: OptionOpt = None,
    skeleton: SkeletonOpt = None,
    window: WindowOpt = None,
    table: TableOpt = None,
    method: Annotated[
        str, typer.Option("--method", help="exact (enumeration) or mc (Monte Carlo).")
    ] = "exact",
    trials: Annotated[int, typer.Option("--trials", help="Monte Carlo trials.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Monte Carlo seed.")] = 2026,
    arrival_rate: Annotated[
        float | None,
        typer.Option("--arrival-rate", help="Subjects per day: adds expected duration."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Operating characteristics of a design at true DLT rates (exact or Monte Carlo)."""
    with user_errors():
        if method not in ("exact", "mc"):
            raise DesignInputError("method", method, "exact or mc")
        common = _Common(
            design, labels, start, target, cohort_size, max_cohorts, option, skeleton, window, table
        )
        request = common.over_study(study) if study else common.request(true_tox)
        tox = parse_probabilities(true_tox, "true_tox")
        if len(tox) != len(request.labels):
            raise DesignInputError(
                "true_tox", true_tox, f"{len(request.labels)} probabilities, one per dose"
            )
        kind: Literal["exact", "mc"] = "mc" if method == "mc" else "exact"
        with DelayedProgress(f"simulating {trials} trials") as progress:
            oc = compute_oc(
                build_design(request),
                tox,
                method=kind,
                trials=trials,
                seed=seed,
                progress=progress,
                arrival_rate=arrival_rate,
            )
        duration = _duration(request, float(oc.expected_n), arrival_rate)
    payload = _oc_json(request, tox, oc)
    if duration is not None:
        payload |= {
            "expected_duration_days": duration.expected_days,
            "share_suspended": duration.share_suspended,
        }
    if as_json:
        typer.echo(json.dumps(payload, indent=2))
        return
    Console().print(_oc_table(request, tox, oc))
    if duration is not None:
        typer.echo(
            f"expected duration {duration.expected_days:.1f} days, accrual suspended "
            f"{duration.share_suspended:.0%} of the time"
        )


def _duration(
    request: DesignRequest, expected_n: float, arrival_rate: float | None
) -> TrialDuration | None:
    if arrival_rate is None:
        return None
    if request.window_days is None:
        raise DesignInputError("window", None, "--window DAYS with --arrival-rate")
    return compute_duration(
        expected_n,
        cohort_size=request.cohort_size,
        arrival_rate=arrival_rate,
        window_days=request.window_days,
        waits_for_window=request.design != "tite-crm",
    )


@design_app.command("table")
def table_command(
    design: DesignOpt,
    target: Annotated[float, typer.Option("--target", help="Target DLT rate.")],
    cohort_size: CohortOpt = 3,
    max_n: Annotated[int, typer.Option("--max-n", help="Largest n in the table.")] = 36,
    option: OptionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The protocol-ready decision table n x y -> E / S / D / DU of an interval design."""
    with user_errors():
        builtin = [name for name in TABLE_DESIGNS if name != "table"]
        if design not in builtin:
            raise DesignInputError("design", design, "one of " + ", ".join(builtin))
        request = DesignRequest(
            design, (1,), target=target, cohort_size=cohort_size, options=_typed(design, option)
        )
        table = decision_table_of(request, max_n)
    payload: dict[str, Any] = {"table": table.to_mapping()}
    if design == "boin":
        lambda_e, lambda_d = boin_boundaries_of(request)
        payload |= {"lambda_e": lambda_e, "lambda_d": lambda_d}
    if as_json:
        typer.echo(json.dumps(payload, indent=2))
        return
    Console().print(_table_view(design, target, table.to_mapping(), cohort_size))


@design_app.command("next")
def next_command(
    design: DesignOpt,
    labels: RequiredLabelsOpt,
    outcomes: OutcomesOpt = None,
    data: Annotated[
        Path | None, typer.Option("--data", help="subjects.json: [{level, dlt, followup_days}].")
    ] = None,
    start: StartOpt = None,
    target: TargetOpt = DEFAULT_TARGET,
    cohort_size: CohortOpt = 3,
    max_cohorts: MaxCohortsOpt = DEFAULT_MAX_COHORTS,
    option: OptionOpt = None,
    skeleton: SkeletonOpt = None,
    window: WindowOpt = None,
    table: TableOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The next dose decision after the outcomes so far, with its rule and reason."""
    with user_errors():
        common = _Common(
            design, labels, start, target, cohort_size, max_cohorts, option, skeleton, window, table
        )
        request = common.request()
        history = _history(outcomes, data)
        decision = build_design(request).decide(history)
    if as_json:
        typer.echo(json.dumps(_decision_json(decision), indent=2))
        return
    Console().print(_decision_view(decision))


@design_app.command("paths")
def paths_command(
    design: DesignOpt,
    labels: RequiredLabelsOpt,
    cohorts: Annotated[int, typer.Option("--cohorts", help="How many cohorts ahead.")] = 2,
    outcomes: OutcomesOpt = None,
    true_tox: Annotated[
        str | None, typer.Option("--true-tox", help="True DLT rates: adds path probabilities.")
    ] = None,
    start: StartOpt = None,
    target: TargetOpt = DEFAULT_TARGET,
    cohort_size: CohortOpt = 3,
    max_cohorts: MaxCohortsOpt = DEFAULT_MAX_COHORTS,
    option: OptionOpt = None,
    skeleton: SkeletonOpt = None,
    window: WindowOpt = None,
    table: TableOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every outcome of the next cohorts from the current state, with each decision."""
    with user_errors():
        common = _Common(
            design, labels, start, target, cohort_size, max_cohorts, option, skeleton, window, table
        )
        request = common.request()
        tox = None if true_tox is None else parse_probabilities(true_tox, "true_tox")
        root = dose_paths(build_design(request), _history(outcomes, None), cohorts, tox)
    if as_json:
        typer.echo(json.dumps(_path_json(root), indent=2))
        return
    tree = Tree(f"now: {_path_label(root)}")
    _grow(tree, root)
    Console().print(tree)


@design_app.command("skeleton")
def skeleton_command(
    target: Annotated[float, typer.Option("--target", help="Target DLT rate.")],
    halfwidth: Annotated[float, typer.Option("--halfwidth", help="Indifference half-width.")],
    nu: Annotated[int, typer.Option("--nu", help="Prior MTD level (1 = lowest).")],
    levels: Annotated[int, typer.Option("--levels", help="Number of dose levels.")],
    model: Annotated[str, typer.Option("--model", help="empiric or logistic.")] = "empiric",
    intercept: Annotated[float, typer.Option("--intercept", help="Logistic intercept.")] = 3.0,
    as_json: JsonOpt = False,
) -> None:
    """A CRM skeleton by the indifference-interval method (Lee & Cheung 2009; dfcrm getprior)."""
    with user_errors():
        if model not in ("empiric", "logistic"):
            raise DesignInputError("model", model, "empiric or logistic")
        kind: ModelName = "logistic" if model == "logistic" else "empiric"
        values = calibrate_skeleton(target, halfwidth, nu, levels, model=kind, intercept=intercept)
    if as_json:
        typer.echo(json.dumps({"skeleton": list(values), "target": target, "nu": nu}, indent=2))
        return
    typer.echo(",".join(f"{value:.6g}" for value in values))


def _path_json(node: PathNode) -> dict[str, Any]:
    return {
        "cohort": node.cohort,
        **{key: _decision_json(node.decision)[key] for key in _DECISION_KEYS},
        "probability": node.probability,
        "children": [_path_json(child) for child in node.children],
    }


_DECISION_KEYS = ("next_level", "stop", "mtd", "rule", "reason")


def _grow(tree: Tree, node: PathNode) -> None:
    for child in node.children:
        _grow(tree.add(f"{child.cohort} -> {_path_label(child)}"), child)


def _path_label(node: PathNode) -> str:
    decision = node.decision
    action = f"stop, MTD {decision.mtd}" if decision.stop else f"level {decision.next_level}"
    chance = "" if node.probability is None else f" (P = {node.probability:.4f})"
    return f"{action} [{decision.rule}]{chance}"


@dataclass(frozen=True, slots=True)
class _Common:
    """The options the design commands share, as typed on the command line."""

    design: str | None
    labels: str | None
    start: str | None
    target: float
    cohort_size: int
    max_cohorts: int
    option: list[str] | None
    skeleton: str | None = None
    window: float | None = None
    table: Path | None = None

    def request(self, true_tox: str | None = None) -> DesignRequest:
        """The design request these options describe (labels default to 1..K)."""
        if self.design is None:
            raise DesignInputError("design", None, "--design NAME or --study study.yaml")
        ladder = self._ladder(true_tox)
        return DesignRequest(
            design=self.design,
            labels=ladder,
            start=_start_label(self.start, ladder),
            target=self.target,
            cohort_size=self.cohort_size,
            max_cohorts=self.max_cohorts,
            options=_typed(self.design, self.option),
            skeleton=self._skeleton(),
            window_days=self.window,
            table=self._table(),
        )

    def over_study(self, path: Path) -> DesignRequest:
        """The study's design request with what the command line sets on top."""
        base = design_request(load_study(path), self.design)
        ladder = parse_labels(self.labels) if self.labels else base.labels
        return replace(
            base,
            labels=ladder,
            start=_start_label(self.start, ladder) if self.start else base.start,
            target=self.target,
            max_cohorts=self.max_cohorts,
            options={**base.options, **_typed(base.design, self.option)},
            skeleton=self._skeleton(),
            window_days=base.window_days if self.window is None else self.window,
        )

    def _ladder(self, true_tox: str | None) -> tuple[Label, ...]:
        if self.labels is not None:
            return parse_labels(self.labels)
        count = len(true_tox.split(",")) if true_tox else 0
        if count == 0:
            raise DesignInputError("labels", None, "--labels, e.g. -1,1,2")
        return tuple(range(1, count + 1))

    def _table(self) -> DecisionTable | None:
        if self.table is None:
            return None
        try:
            text = self.table.read_text(encoding="utf-8")
        except OSError as exc:
            raise TrialdeskError(f"{self.table}: cannot read: {exc.strerror}") from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TrialdeskError(f"{self.table}: not JSON: {exc}") from exc
        if isinstance(data, dict) and "table" in data:
            data = data["table"]  # the output of `trialdesk design table --json`
        try:
            return DecisionTable.from_mapping(data)
        except DesignInputError as exc:
            raise TrialdeskError(f"{self.table}: {exc}") from exc

    def _skeleton(self) -> tuple[float, ...] | None:
        if self.skeleton is None:
            return None
        return parse_probabilities(self.skeleton, "skeleton", increasing=True)


def _start_label(start: str | None, ladder: tuple[object, ...]) -> Any:  # noqa: ANN401
    if start is None:
        return None
    label = parse_labels(start)[0]
    if label not in ladder:
        raise DesignInputError("start", start, "one of the labels " + ", ".join(map(str, ladder)))
    return label


def _typed(design: str, option: list[str] | None) -> dict[str, OptionValue]:
    known = OPTION_TYPES.get(design)
    if known is None:
        raise DesignInputError("design", design, "one of " + ", ".join(DESIGN_NAMES))
    typed: dict[str, OptionValue] = {}
    for name, text in parse_options(option or []).items():
        if name not in known:
            raise DesignInputError("option", name, f"an option of {design}: " + ", ".join(known))
        typed[name] = parse_option_value(name, text, known[name])
    return typed


def _history(outcomes: str | None, data: Path | None) -> tuple[SubjectOutcome, ...]:
    if outcomes is not None and data is not None:
        raise DesignInputError("outcomes", outcomes, "either --outcomes or --data, not both")
    if data is None:
        return parse_outcomes(outcomes or "")
    try:
        rows = json.loads(data.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise TrialdeskError(f"{data}: not a readable JSON list of subjects: {exc}") from exc
    if not isinstance(rows, list):
        raise DesignInputError("data", type(rows).__name__, "a JSON list of subjects")
    return tuple(_subject(row, index) for index, row in enumerate(rows))


def _subject(row: object, index: int) -> SubjectOutcome:
    if not isinstance(row, dict) or not isinstance(row.get("dlt"), bool) or "level" not in row:
        raise DesignInputError(f"data[{index}]", row, '{"level": label, "dlt": true|false}')
    followup = row.get("followup_days")
    if followup is not None and (not isinstance(followup, int | float) or followup < 0):
        raise DesignInputError(f"data[{index}].followup_days", followup, "a number >= 0 or null")
    return SubjectOutcome(row["level"], row["dlt"], None if followup is None else float(followup))


def _decision_json(decision: Decision) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "next_level": decision.next_level,
        "stop": decision.stop,
        "mtd": decision.mtd,
        "rule": decision.rule,
        "reason": decision.reason,
        "counts": {str(label): {"n": c.n, "y": c.y} for label, c in decision.counts},
        "next_cohort_size": decision.next_cohort_size,
    }
    if decision.fit is not None:
        fit = decision.fit
        payload |= {
            "estimate": fit.estimate,
            "post_var": fit.post_var,
            "p_tox": list(fit.p_tox),
            "p_tox_lower": list(fit.p_tox_lower),
            "p_tox_upper": list(fit.p_tox_upper),
        }
    return payload


def _oc_json(
    request: DesignRequest, tox: tuple[float, ...], oc: OperatingCharacteristics[float]
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "design": request.design,
        "labels": list(request.labels),
        "true_tox": list(tox),
        "method": oc.method,
        "p_select": [float(p) for p in oc.p_select],
        "p_no_mtd": float(oc.p_no_mtd),
        "expected_n": float(oc.expected_n),
        "expected_n_per_dose": [float(x) for x in oc.expected_n_per_dose],
        "expected_dlt": float(oc.expected_dlt),
        "expected_dlt_per_dose": [float(x) for x in oc.expected_dlt_per_dose],
        "n_distribution": {str(n): float(p) for n, p in oc.n_distribution.items()},
    }
    if oc.n_terminal_paths is not None:
        payload["n_terminal_paths"] = oc.n_terminal_paths
    if oc.se is not None:
        payload["se"] = dict(oc.se)
    return payload


def _oc_table(
    request: DesignRequest, tox: tuple[float, ...], oc: OperatingCharacteristics[float]
) -> Table:
    title = f"{request.design}: operating characteristics ({oc.method})"
    table = Table(title=title, title_justify="left")
    for column in ("level", "true DLT rate", "P(select)", "E[N]", "E[DLT]"):
        table.add_column(column, justify="right")
    for label, p, select, n, dlt in zip(
        request.labels,
        tox,
        oc.p_select,
        oc.expected_n_per_dose,
        oc.expected_dlt_per_dose,
        strict=True,
    ):
        table.add_row(
            str(label), f"{p:.3f}", f"{float(select):.4f}", f"{float(n):.2f}", f"{float(dlt):.2f}"
        )
    table.add_row("none", "", f"{float(oc.p_no_mtd):.4f}", "", "")
    table.add_row("total", "", "1", f"{float(oc.expected_n):.2f}", f"{float(oc.expected_dlt):.2f}")
    if oc.n_terminal_paths is not None:
        table.caption = f"{oc.n_terminal_paths} terminal paths"
    return table


def _table_view(
    design: str, target: float, rows: Mapping[str, Mapping[str, str]], size: int
) -> Table:
    table = Table(title=f"{design} decision table, target {target:g}", title_justify="left")
    table.add_column("n", justify="right")
    table.add_column("E if DLTs <=", justify="right")
    table.add_column("D if DLTs >=", justify="right")
    table.add_column("DU if DLTs >=", justify="right")
    for n, row in rows.items():
        if int(n) % size:
            continue
        table.add_row(n, _first(row, "E", last=True), _first(row, "D"), _first(row, "DU"))
    return table


def _first(row: Mapping[str, str], code: str, *, last: bool = False) -> str:
    hits = [int(y) for y, action in row.items() if action == code]
    if not hits:
        return "-"
    return str(max(hits) if last else min(hits))


def _decision_view(decision: Decision) -> Table:
    table = Table(show_header=False, title=f"Decision: {decision.rule}", title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("next level", "stop" if decision.stop else str(decision.next_level))
    if decision.next_cohort_size is not None:
        table.add_row("next cohort", f"{decision.next_cohort_size} subject(s)")
    table.add_row("MTD", "-" if decision.mtd is None else str(decision.mtd))
    table.add_row("reason", decision.reason)
    table.add_row("counts", ", ".join(f"{label}: {c}" for label, c in decision.counts))
    return table
