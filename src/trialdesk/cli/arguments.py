"""Parse command-line values into typed ones, refusing anything ambiguous by name.

Typer passes comma lists and ``NAME=VALUE`` options as text; these functions
turn them into numbers, labels and booleans, or raise
:class:`~trialdesk.errors.DesignInputError` naming the argument and the value.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from itertools import pairwise

from trialdesk.design import Label
from trialdesk.errors import DesignInputError, InputError

__all__ = [
    "OptionValue",
    "parse_date",
    "parse_datetime",
    "parse_labels",
    "parse_option_value",
    "parse_options",
    "parse_probabilities",
]

OptionValue = bool | int | float | str


def parse_probabilities(text: str, argument: str, *, increasing: bool = False) -> tuple[float, ...]:
    """``"0.05,0.15,0.30"`` to floats in [0, 1] (strictly increasing when asked)."""
    values = []
    for position, part in enumerate(_parts(text, argument), start=1):
        try:
            value = float(part)
        except ValueError:
            raise DesignInputError(argument, part, f"a number at position {position}") from None
        if not 0 <= value <= 1 or math.isnan(value):
            raise DesignInputError(
                argument, part, f"a probability in [0, 1] at position {position}"
            )
        values.append(value)
    if increasing and any(b <= a for a, b in pairwise(values)):
        raise DesignInputError(argument, text, "strictly increasing probabilities")
    return tuple(values)


def parse_labels(text: str) -> tuple[Label, ...]:
    """``"-1,1,2"`` to labels: integers where they read as integers, else text."""
    return tuple(_label(part) for part in _parts(text, "labels"))


def parse_options(items: Sequence[str]) -> dict[str, str]:
    """``["deescalate=false", "expand_top=true"]`` to a mapping; each NAME once."""
    options: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise DesignInputError("option", item, "NAME=VALUE, e.g. deescalate=false")
        if name.strip() in options:
            raise DesignInputError("option", item, f"{name.strip()} given once")
        options[name.strip()] = value.strip()
    return options


def parse_option_value(name: str, text: str, kind: type[OptionValue]) -> OptionValue:
    """One option's text as ``kind``: booleans are exactly ``true`` or ``false``."""
    if kind is bool:
        if text not in {"true", "false"}:
            raise DesignInputError(name, text, "true or false")
        return text == "true"
    try:
        return kind(text)
    except ValueError:
        raise DesignInputError(name, text, f"a value of type {kind.__name__}") from None


def _parts(text: str, argument: str) -> list[str]:
    parts = [part.strip() for part in text.split(",")]
    if not text.strip() or any(not part for part in parts):
        raise DesignInputError(argument, text, "a comma-separated list with no empty item")
    if any(part.startswith("--") for part in parts):
        raise DesignInputError(argument, text, "values, not another option (missing value?)")
    return parts


def _label(part: str) -> Label:
    try:
        return int(part)
    except ValueError:
        return part


def parse_date(text: str | None, option: str) -> dt.date:
    """``YYYY-MM-DD`` as a date; no value is today's date in UTC (the server's clock)."""
    if text is None:
        return dt.datetime.now(dt.UTC).date()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(option, text, "a date YYYY-MM-DD") from None


def parse_datetime(text: str, option: str) -> dt.datetime:
    """An ISO 8601 date-time as written (its offset kept), or a refusal naming the option."""
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            option, text, "an ISO 8601 date-time, e.g. 2026-06-20T10:00:00+08:00"
        ) from None
