"""Dose-finding designs: configured once, ``decide(history) -> Decision``, no I/O.

Designs: :class:`ThreePlusThree`, :class:`Boin`, :class:`TableDesign` (Keyboard,
mTPI-2, i3+3 or any :class:`DecisionTable`), :class:`CrmDesign` (CRM, TITE-CRM).
Rules wrap a design and name themselves when they override it. Operating
characteristics come exact (:func:`exact_oc_three_plus_three`,
:func:`exact_oc_table`) or simulated with common random numbers
(:func:`simulate_table`, :func:`simulate_three_plus_three`,
:func:`simulate_crm`); :func:`compute_oc` picks the method for a configured design.
"""

from trialdesk.design.boin import Boin, boin_boundaries, boin_table
from trialdesk.design.catalog import DesignRequest, build_design, compute_oc
from trialdesk.design.crm_design import CrmDesign
from trialdesk.design.crm_monte_carlo import simulate_crm
from trialdesk.design.decision import Decision, Design, ModelFit
from trialdesk.design.decision_table import Action, DecisionTable, TableDesign
from trialdesk.design.duration import TrialDuration, compute_duration
from trialdesk.design.exact_table import exact_oc_table
from trialdesk.design.exact_three_plus_three import exact_oc as exact_oc_three_plus_three
from trialdesk.design.history import (
    DoseCounts,
    DoseLadder,
    Label,
    SubjectOutcome,
    count_by_dose,
    format_outcomes,
    parse_outcomes,
)
from trialdesk.design.interval_tables import i3plus3_table, keyboard_table, mtpi2_table
from trialdesk.design.oc import OperatingCharacteristics
from trialdesk.design.paths import PathNode, dose_paths
from trialdesk.design.rules import DemandNAtDose, DontSkip, StopAtN, StopWhenTooToxic
from trialdesk.design.simulate import draw_tolerances, simulate_table, simulate_three_plus_three
from trialdesk.design.skeleton import calibrate_skeleton
from trialdesk.design.three_plus_three import ThreePlusThree
from trialdesk.design.tite_monte_carlo import simulate_tite

__all__ = [
    "Action",
    "Boin",
    "CrmDesign",
    "Decision",
    "DecisionTable",
    "DemandNAtDose",
    "Design",
    "DesignRequest",
    "DontSkip",
    "DoseCounts",
    "DoseLadder",
    "Label",
    "ModelFit",
    "OperatingCharacteristics",
    "PathNode",
    "StopAtN",
    "StopWhenTooToxic",
    "SubjectOutcome",
    "TableDesign",
    "ThreePlusThree",
    "TrialDuration",
    "boin_boundaries",
    "boin_table",
    "build_design",
    "calibrate_skeleton",
    "compute_duration",
    "compute_oc",
    "count_by_dose",
    "dose_paths",
    "draw_tolerances",
    "exact_oc_table",
    "exact_oc_three_plus_three",
    "format_outcomes",
    "i3plus3_table",
    "keyboard_table",
    "mtpi2_table",
    "parse_outcomes",
    "simulate_crm",
    "simulate_table",
    "simulate_three_plus_three",
    "simulate_tite",
]
