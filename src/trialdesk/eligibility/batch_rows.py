"""Rows of observations, facts and attestations as NumPy columns of integers.

Strings are codes into a batch's small vocabularies (measures, units, fact names,
criterion ids); dates are day numbers (days since 1970-01-01, NumPy's ``datetime64[D]``
epoch); values are exact integers, the value times 10^6 (:data:`SCALE`). Each column
is checked once, when its table is made: one dimension, one length, an integer (or
boolean) dtype whose values fit. A column is a read-only view of the array given when
the dtype already matches: do not change that array afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt

from trialdesk.errors import InputError

__all__ = [
    "A_DATE",
    "I8",
    "I32",
    "I64",
    "MAX_SCALED",
    "NO_DATE",
    "NO_VALUE",
    "SCALE",
    "AttestationColumns",
    "Bools",
    "Columns",
    "FactColumns",
    "ObservationColumns",
    "as_column",
    "as_of_days",
    "day_number",
    "outside_dates",
    "refuse_rows",
    "too_large",
]

I8 = npt.NDArray[np.int8]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

#: Values are held as ``value x SCALE``: six decimals, exactly.
SCALE = 10**6
#: The largest magnitude of a scaled value (10^12 in the value's unit): a difference of
#: two values still fits in an int64, and a value times a small threshold numerator
#: is checked before it is formed.
MAX_SCALED = 10**18
#: A missing reference limit or control (``lln``, ``uln``, ``control``).
NO_VALUE = int(np.iinfo(np.int64).min)
#: A missing date (a fact recorded without one; an unknown birth date).
NO_DATE = int(np.iinfo(np.int32).min)

_EPOCH = dt.date(1970, 1, 1)
_FIRST_DAY = (dt.date.min - _EPOCH).days
_LAST_DAY = (dt.date.max - _EPOCH).days


def day_number(date: dt.date) -> int:
    """Days from 1970-01-01 to ``date`` (negative before it), as in ``datetime64[D]``."""
    return (date - _EPOCH).days


def _frozen(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    view = array.view()
    view.flags.writeable = False
    return view


def as_column(name: str, values: npt.ArrayLike, dtype: type[np.generic]) -> npt.NDArray[Any]:
    """``values`` as a read-only 1-D column of ``dtype``; refused when it cannot be one."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise InputError(name, f"an array of shape {array.shape}", "a one-dimensional array")
    if array.size == 0:
        return _frozen(np.zeros(0, dtype))
    if dtype is np.bool_:
        if array.dtype != np.bool_:
            raise InputError(name, f"an array of {array.dtype}", "an array of booleans")
        return _frozen(array)
    if not np.issubdtype(array.dtype, np.integer):
        raise InputError(name, f"an array of {array.dtype}", "an array of integers")
    info = np.iinfo(dtype)  # type: ignore[type-var]  # only integer dtypes reach here
    low, high = int(array.min()), int(array.max())
    if low < info.min or high > info.max:
        bad = low if low < info.min else high
        raise InputError(name, bad, f"integers that fit in {np.dtype(dtype).name}")
    return _frozen(array.astype(dtype, copy=False))


def refuse_rows(name: str, column: npt.NDArray[Any], bad: Bools, expected: str) -> None:
    """Refuse ``column`` when any row is ``bad``, naming the first such row and its value."""
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"{name}[{row}]", column[row].item(), expected)


class Columns:
    """Rows of one kind: every column (``DTYPES``) is 1-D, of one length, read-only."""

    __slots__ = ()
    TABLE: ClassVar[str]
    DTYPES: ClassVar[Mapping[str, type[np.generic]]]
    subject: I32

    def __post_init__(self) -> None:
        length: int | None = None
        for name, dtype in self.DTYPES.items():
            column = as_column(f"{self.TABLE}.{name}", getattr(self, name), dtype)
            object.__setattr__(self, name, column)
            if length is not None and column.size != length:
                raise InputError(f"{self.TABLE}.{name}", f"{column.size} rows", f"{length} rows")
            length = column.size

    def __len__(self) -> int:
        return int(self.subject.size)

    @classmethod
    def empty(cls) -> Self:
        """No rows."""
        return cls(**{name: np.zeros(0, dtype) for name, dtype in cls.DTYPES.items()})

    def take(self, order: I64) -> Self:
        """These rows in ``order``."""
        return type(self)(**{name: getattr(self, name)[order] for name in self.DTYPES})


@dataclass(frozen=True, slots=True)
class ObservationColumns(Columns):
    """One row per measured value: codes into the batch's measure and unit vocabularies.

    ``value``, ``lln``, ``uln`` and ``control`` are scaled by 10^6 (:data:`SCALE`);
    a missing limit or control is :data:`NO_VALUE`. ``date`` is a :func:`day_number`.
    """

    TABLE: ClassVar[str] = "observations"
    DTYPES: ClassVar[Mapping[str, type[np.generic]]] = MappingProxyType(
        {
            "subject": np.int32,
            "measure": np.int32,
            "date": np.int32,
            "value": np.int64,
            "unit": np.int32,
            "lln": np.int64,
            "uln": np.int64,
            "control": np.int64,
        }
    )
    subject: I32
    measure: I32
    date: I32
    value: I64
    unit: I32
    lln: I64
    uln: I64
    control: I64


@dataclass(frozen=True, slots=True)
class FactColumns(Columns):
    """One row per fact record: the fact name's code, present or not, date or :data:`NO_DATE`."""

    TABLE: ClassVar[str] = "facts"
    DTYPES: ClassVar[Mapping[str, type[np.generic]]] = MappingProxyType(
        {"subject": np.int32, "name": np.int32, "present": np.bool_, "date": np.int32}
    )
    subject: I32
    name: I32
    present: Bools
    date: I32


@dataclass(frozen=True, slots=True)
class AttestationColumns(Columns):
    """One row per attestation: the criterion id's code and whether it holds."""

    TABLE: ClassVar[str] = "attestations"
    DTYPES: ClassVar[Mapping[str, type[np.generic]]] = MappingProxyType(
        {"subject": np.int32, "criterion": np.int32, "holds": np.bool_}
    )
    subject: I32
    criterion: I32
    holds: Bools


A_DATE = "a day number (days since 1970-01-01) of a date in years 1-9999"


def too_large(values: I64) -> Bools:
    """Where a scaled value is beyond :data:`MAX_SCALED` in magnitude."""
    return (values < -MAX_SCALED) | (values > MAX_SCALED)


def outside_dates(days: I32) -> Bools:
    """Where a day number is not that of a date in years 1-9999."""
    return (days < _FIRST_DAY) | (days > _LAST_DAY)


def as_of_days(as_of: dt.date | npt.ArrayLike, size: int) -> I64:
    """The as-of day of each of ``size`` subjects: one date for all, or one day number each."""
    if isinstance(as_of, dt.date):
        return np.full(size, day_number(as_of), np.int64)
    days = as_column("as_of", as_of, np.int64)
    if days.size != size:
        raise InputError("as_of", f"{days.size} day numbers", f"one date, or {size} day numbers")
    refuse_rows("as_of", days, outside_dates(days), A_DATE)
    return days
