"""Errors of the clinical calculators, under :class:`trialdesk.errors.TrialdeskError`.

::

    TrialdeskError
    └── ClinicalInputError      a clinical input outside its domain (names the
        │                       argument, the value it got, what was expected)
        └── UnitError           an unknown unit, or two units of different
                                dimensions compared or converted
"""

from __future__ import annotations

from trialdesk.errors import InputError

__all__ = ["ClinicalInputError", "UnitError"]


class ClinicalInputError(InputError):
    """A clinical input outside its domain: a negative count, an unknown CTCAE term.

    Like :class:`trialdesk.errors.DesignInputError`, the message names the
    argument, the value it got and what was expected, so an edge shows it as is.
    """


class UnitError(ClinicalInputError):
    """A unit that is unknown, or that cannot be converted to the one required."""
