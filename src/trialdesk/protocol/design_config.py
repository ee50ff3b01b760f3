"""Configure a dose-finding design from a study definition.

The study names its design, levels, start level and the design options it
states or assumed (``study.design.options``); this turns them into a
:class:`~trialdesk.design.catalog.DesignRequest`, so the command line, the
consistency checks and conduct all configure the trial's design one way.
Options the design engine does not take (``mtd_requires_six``,
``replace_non_evaluable``, ``sentinel_dosing``: conduct-level questions) are
left to conduct.
"""

from __future__ import annotations

from trialdesk.design.catalog import DESIGN_NAMES, OPTION_TYPES, DesignRequest, OptionValue
from trialdesk.errors import DesignInputError
from trialdesk.protocol.study import Study

__all__ = ["design_request"]


def design_request(study: Study, design: str | None = None) -> DesignRequest:
    """The design request of ``study`` (``design`` overrides the name the study gives)."""
    name = design or (study.design.name or "").lower()
    if name not in DESIGN_NAMES:
        raise DesignInputError(
            "design",
            study.design.name,
            "a design the study names (or --design): " + ", ".join(DESIGN_NAMES),
        )
    if not study.dose_levels:
        raise DesignInputError("dose_levels", (), "the study's dose levels (it states none)")
    levels = sorted(study.dose_levels, key=lambda level: level.order)
    known = OPTION_TYPES[name]
    options: dict[str, OptionValue] = {
        option.name: option.value for option in study.design.options if option.name in known
    }
    return DesignRequest(
        design=name,
        labels=tuple(level.label for level in levels),
        start=study.start_dose_level,
        cohort_size=study.design.cohort_size or 3,
        options=options,
        window_days=study.dlt_window_days,
    )
