"""``trialdesk calc ...``: clinical calculators (GLI, SGRQ, CTCAE, CRS/ICANS, transplant decline).

Each calculator lives in its own ``cli/calc_<area>.py`` module, which adds its
command to :data:`calc_app`; ``cli/app.py`` imports those modules. The JSON the
commands print is a contract read by other tools.
"""

from __future__ import annotations

import typer

__all__ = ["calc_app"]

calc_app = typer.Typer(
    help="Clinical calculators: lung function, SGRQ, CTCAE grades, CRS/ICANS, transplant decline.",
    no_args_is_help=True,
)
