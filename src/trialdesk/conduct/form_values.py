"""The values of a form entry: each raw value read as its item's type, unit and range.

The per-item half of :func:`trialdesk.conduct.form_entry.validate_entry`. A raw
value comes from a page, the API or an import, so text is accepted where it reads
unambiguously (``"12"`` for an integer, ``"2026-01-31"`` for a date, ``"yes"`` for a
boolean). A quantity in another unit is converted exactly with
:func:`trialdesk.clinical.units.conversion_factor` (a :class:`fractions.Fraction`);
its decimal form is exact when it terminates within 28 significant digits, as in
:mod:`trialdesk.clinical.units`. A date and time must carry its UTC offset
(PART11.md A6).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation, localcontext
from enum import StrEnum
from fractions import Fraction

from pydantic import BaseModel, ConfigDict

from trialdesk.clinical.errors import ClinicalInputError
from trialdesk.clinical.units import Quantity, conversion_factor
from trialdesk.protocol.forms import ItemDef, ItemType

__all__ = [
    "EntryValue",
    "IssueKind",
    "ItemRefusedError",
    "MeasuredValue",
    "is_missing",
    "normalise_value",
]


class IssueKind(StrEnum):
    """Why an item of an entry was refused."""

    MISSING = "missing"
    WRONG_TYPE = "wrong type"
    OUT_OF_RANGE = "out of range"
    UNIT = "unit"
    UNKNOWN_CODE = "unknown code"
    UNKNOWN_ITEM = "unknown item"
    REFERENCE_RANGE = "reference range"


class MeasuredValue(BaseModel):
    """A quantity normalised to its item's unit, with the lab's LLN/ULN when it has them.

    ``as_entered`` keeps the value and unit as typed when a conversion was made.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: Decimal
    unit: str
    lln: Decimal | None = None
    uln: Decimal | None = None
    as_entered: str | None = None

    def quantity(self) -> Quantity:
        """The value as a :class:`~trialdesk.clinical.units.Quantity`."""
        return Quantity(self.value, self.unit)


EntryValue = bool | int | Decimal | str | date | datetime | MeasuredValue


def is_missing(raw: object) -> bool:
    """Whether ``raw`` counts as not given: ``None`` or blank text."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


class ItemRefusedError(Exception):
    """One value refused: why (``kind``) and a message naming what was expected."""

    def __init__(self, kind: IssueKind, message: str) -> None:
        self.kind, self.message = kind, message
        super().__init__(message)


def normalise_value(item: ItemDef, raw: object) -> EntryValue:
    """``raw`` as ``item`` holds it, or :class:`ItemRefusedError` saying why not."""
    if item.type is ItemType.QUANTITY:
        return _quantity(item, raw)
    if item.type is ItemType.INTEGER:
        number = _integer(raw)
        _check_range(item, Fraction(number), str(number))
        return number
    if item.type is ItemType.DECIMAL:
        value = _decimal(raw, "a number")
        _check_range(item, Fraction(value), str(value))
        return value
    if item.type is ItemType.CODE:
        return _code(item, raw)
    return _SIMPLE[item.type](raw)


def _check_range(item: ItemDef, exact: Fraction, shown: str) -> None:
    bounds = item.range
    if bounds is None:
        return
    low = bounds.min is not None and exact < Fraction(bounds.min)
    high = bounds.max is not None and exact > Fraction(bounds.max)
    if low or high:
        unit = f" {item.unit}" if item.unit and item.type is not ItemType.QUANTITY else ""
        raise ItemRefusedError(
            IssueKind.OUT_OF_RANGE,
            f"{shown}{unit} is outside the allowed range {bounds.describe(item.unit)}",
        )


def _wrong(expected: str, raw: object) -> ItemRefusedError:
    return ItemRefusedError(
        IssueKind.WRONG_TYPE, f"expected {expected}, got {raw!r} ({type(raw).__name__})"
    )


def _integer(raw: object) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lstrip("+-").isdigit():
        return int(raw.strip())
    if isinstance(raw, Decimal) and raw.is_finite() and raw == raw.to_integral_value():
        return int(raw)
    raise _wrong("a whole number", raw)


def _decimal(raw: object, expected: str) -> Decimal:
    value: Decimal | None = None
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        value = Decimal(str(raw))  # a float as written: its shortest repr
    elif isinstance(raw, str):
        try:
            value = Decimal(raw.strip())
        except InvalidOperation:
            value = None
    if value is None or not value.is_finite():
        raise _wrong(expected, raw)
    return value


def _code(item: ItemDef, raw: object) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise _wrong("a code (text)", raw)
    code = str(raw).strip()
    codes = item.codes or {}
    if code not in codes:
        listed = ", ".join(f"{key} ({label})" for key, label in codes.items())
        raise ItemRefusedError(
            IssueKind.UNKNOWN_CODE,
            f"{code!r} is not a code of this item; expected one of: {listed}",
        )
    return code


def _text(raw: object) -> str:
    if not isinstance(raw, str):
        raise _wrong("text", raw)
    return raw.strip()


_BOOLEAN_TEXT = {"true": True, "yes": True, "false": False, "no": False}


def _boolean(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _BOOLEAN_TEXT:
        return _BOOLEAN_TEXT[raw.strip().lower()]
    raise _wrong("yes or no (true/false)", raw)


def _date(raw: object) -> date:
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise _wrong("a date (YYYY-MM-DD)", raw)


def _datetime(raw: object) -> datetime:
    value = raw if isinstance(raw, datetime) else None
    if isinstance(raw, str):
        try:
            value = datetime.fromisoformat(raw.strip())
        except ValueError:
            value = None
    if value is None or value.utcoffset() is None:
        raise _wrong("a date and time with its UTC offset (2026-01-31T09:30+08:00)", raw)
    return value


_SIMPLE: dict[ItemType, Callable[[object], EntryValue]] = {
    ItemType.TEXT: _text,
    ItemType.BOOLEAN: _boolean,
    ItemType.DATE: _date,
    ItemType.DATETIME: _datetime,
}


def _quantity(item: ItemDef, raw: object) -> MeasuredValue:
    unit = item.unit or ""
    bounds: Mapping[str, object] = {}
    if isinstance(raw, Quantity):
        number, given = raw.value, raw.unit
    elif isinstance(raw, Mapping):
        if set(raw) - {"value", "unit", "lln", "uln"}:
            raise _wrong("a mapping of value, unit, lln, uln", dict(raw))
        number = _decimal(raw.get("value"), f"a number in {unit}")
        given = str(raw.get("unit") or unit)
        bounds = raw
    else:
        number, given = _decimal(raw, f"a number in {unit}"), unit
    factor = _factor(item, given)
    exact = Fraction(number) * factor
    converted = "" if given == unit else f" (= {_as_decimal(exact)} {unit})"
    _check_range(item, exact, f"{number} {given}{converted}")
    lln, uln = (_bound(item, name, bounds.get(name), given, factor) for name in ("lln", "uln"))
    _check_reference_range(item, lln, uln)
    return MeasuredValue(
        value=_as_decimal(exact),
        unit=unit,
        lln=lln,
        uln=uln,
        as_entered=None if given == unit else f"{number} {given}",
    )


def _factor(item: ItemDef, given: str) -> Fraction:
    try:
        return conversion_factor(given, item.unit or "", item.analyte)
    except ClinicalInputError as exc:
        raise ItemRefusedError(
            IssueKind.UNIT, f"{given!r} cannot be converted to {item.unit}: {exc}"
        ) from None


def _bound(item: ItemDef, name: str, raw: object, given: str, factor: Fraction) -> Decimal | None:
    if is_missing(raw):
        return None
    if not item.reference_range:
        raise ItemRefusedError(
            IssueKind.REFERENCE_RANGE, f"this item takes no {name} (it is not a lab result)"
        )
    try:
        number = _decimal(raw, f"a number in {given}")
    except ItemRefusedError as refused:
        raise ItemRefusedError(IssueKind.REFERENCE_RANGE, f"{name}: {refused.message}") from None
    return _as_decimal(Fraction(number) * factor)


def _check_reference_range(item: ItemDef, lln: Decimal | None, uln: Decimal | None) -> None:
    if not item.reference_range:
        return
    if lln is None and uln is None:
        raise ItemRefusedError(
            IssueKind.REFERENCE_RANGE, "the lab's reference range (lln and/or uln) is required"
        )
    if lln is not None and uln is not None and lln > uln:
        raise ItemRefusedError(
            IssueKind.REFERENCE_RANGE, f"lln {lln} is above uln {uln} {item.unit}"
        )


def _as_decimal(value: Fraction) -> Decimal:
    """Exact when ``value`` terminates in 28 significant digits, else rounded to them."""
    with localcontext() as context:
        context.prec = _PRECISION
        return Decimal(value.numerator) / Decimal(value.denominator)


_PRECISION = 28  # as trialdesk.clinical.units: a non-terminating conversion keeps 28 digits
