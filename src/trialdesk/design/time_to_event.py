"""Whether a design reads partial follow-up (TITE-CRM), through any rule wrappers.

Conduct asks this to know when a decision is due: a 3+3 or interval design waits
until every subject of the cohort is resolved, while a time-to-event design
decides with subjects still inside their DLT window, each weighted by the share
of the window they have completed (Cheung & Chappell 2000, Biometrics 56:1177).
"""

from __future__ import annotations

from trialdesk.design.crm_design import CrmDesign
from trialdesk.design.decision import Design
from trialdesk.design.rules import Wrapper

__all__ = ["time_to_event_window"]


def time_to_event_window(design: Design) -> float | None:
    """The DLT window (days) of a time-to-event design; ``None`` for one that waits."""
    while isinstance(design, Wrapper):
        design = design.inner
    return design.window_days if isinstance(design, CrmDesign) else None
