"""Form entries: validated against their form, stored with its version, corrected by versions.

:func:`validate_entry` checks every value of an entry against its
:class:`~trialdesk.protocol.forms.FormDef` and returns *all* the problems, one
message per item (a missing required item, a wrong type, a value out of range
naming the range and unit, a unit that cannot be converted, an unknown code, an
item the form does not have), together with the normalised values. Quantities in
another unit are converted exactly through :mod:`trialdesk.clinical.units`.

An entry is never edited in place: :func:`correct_entry` returns a new version
that names its reason, and the previous version stays as it was (PART11.md A3, A4;
ICH E6(R3) 4.2.2(a)(ii): a change to recorded data carries its reason).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from trialdesk.conduct.form_values import (
    EntryValue,
    IssueKind,
    ItemRefusedError,
    MeasuredValue,
    is_missing,
    normalise_value,
)
from trialdesk.errors import ConductError
from trialdesk.protocol.forms import FormDef, ItemDef

__all__ = [
    "EntryValidation",
    "EntryValue",
    "FormEntry",
    "FormEntryError",
    "IssueKind",
    "ItemIssue",
    "MeasuredValue",
    "correct_entry",
    "record_entry",
    "validate_entry",
]

CORRECTION_RULE = "PART11 A4: a correction names its reason"
VALID_ENTRY_RULE = "an entry is stored only when every item is valid"
SAME_FORM_RULE = "a correction is an entry of the same form, subject and visit"


class FormEntryError(ConductError):
    """An entry or a correction refused; nothing was stored or changed."""


@dataclass(frozen=True, slots=True)
class ItemIssue:
    """One refused item: its path in the entry (``adverse_events[0].grade``) and why."""

    path: str
    kind: IssueKind
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


Values = dict[str, EntryValue | tuple[dict[str, EntryValue], ...]]


class EntryValidation(BaseModel):
    """The verdict on an entry: its normalised values and every issue, in form order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    form_id: str
    form_version: str
    values: Values
    issues: tuple[ItemIssue, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the entry can be stored."""
        return not self.issues

    def describe(self) -> str:
        """Every issue on its own line (empty when the entry is valid)."""
        return "\n".join(str(issue) for issue in self.issues)


class FormEntry(BaseModel):
    """One version of one form's entry for a subject at a visit.

    Version 1 is the first entry; each correction is the next version and names
    its ``reason``. ``entered_at`` is an aware timestamp (PART11.md A6).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    form_id: str
    form_version: str
    subject_id: str = Field(min_length=1)
    visit_id: str = Field(min_length=1)
    values: Values
    entered_by: str = Field(min_length=1)
    entered_at: AwareDatetime
    version: int = Field(default=1, ge=1)
    reason: str | None = None

    @model_validator(mode="after")
    def _reason_for_corrections(self) -> FormEntry:
        if self.version > 1 and (self.reason is None or not self.reason.strip()):
            raise ValueError(f"version {self.version} is a correction and needs a reason")
        if self.version == 1 and self.reason is not None:
            raise ValueError("the first version of an entry is not a correction: no reason")
        return self


def validate_entry(form: FormDef, values: Mapping[str, object]) -> EntryValidation:
    """Check ``values`` against ``form``: every issue, and the values normalised.

    Non-repeating items are keyed by item id; a repeating group is keyed by its
    group id and holds a sequence of rows, each a mapping of item ids. ``None``
    and blank text count as missing. A quantity is a
    :class:`~trialdesk.clinical.units.Quantity`, a mapping ``{value, unit}`` (plus
    ``lln``/``uln`` in the same unit for a lab result), or a bare number in the
    item's unit.
    """
    issues: list[ItemIssue] = []
    normalised: Values = {}
    known = {group.id for group in form.groups if group.repeating}
    for group in form.groups:
        if group.repeating:
            rows = _validate_rows(group.id, group.items, values.get(group.id), issues)
            if rows:
                normalised[group.id] = rows
        else:
            known.update(item.id for item in group.items)
            normalised.update(_validate_row("", group.items, values, issues))
    issues.extend(_unknown(key, form) for key in values if key not in known)
    return EntryValidation(
        form_id=form.id, form_version=form.version, values=normalised, issues=tuple(issues)
    )


def record_entry(
    validation: EntryValidation, subject_id: str, visit_id: str, by: str, at: datetime
) -> FormEntry:
    """Version 1 of an entry; refused when ``validation`` has any issue."""
    _require_valid(validation)
    return FormEntry(
        form_id=validation.form_id,
        form_version=validation.form_version,
        subject_id=subject_id,
        visit_id=visit_id,
        values=validation.values,
        entered_by=by,
        entered_at=at,
    )


def correct_entry(
    previous: FormEntry, values: EntryValidation, reason: str | None, by: str, at: datetime
) -> FormEntry:
    """The next version of ``previous`` holding ``values``; ``previous`` is left as it was.

    ``values`` is the validation of the corrected entry against the form (possibly a
    later version of the same form). Refused without a reason (PART11.md A4), when
    the values have issues, or when they belong to another form.
    """
    if reason is None or not reason.strip():
        raise FormEntryError(
            CORRECTION_RULE,
            f"correcting {previous.form_id} v{previous.version} for subject "
            f"{previous.subject_id} at {previous.visit_id} needs a reason; got {reason!r}",
        )
    if values.form_id != previous.form_id:
        raise FormEntryError(
            SAME_FORM_RULE,
            f"entry of form {previous.form_id} cannot be corrected with form {values.form_id}",
        )
    _require_valid(values)
    return FormEntry(
        form_id=previous.form_id,
        form_version=values.form_version,
        subject_id=previous.subject_id,
        visit_id=previous.visit_id,
        values=values.values,
        entered_by=by,
        entered_at=at,
        version=previous.version + 1,
        reason=reason.strip(),
    )


def _require_valid(validation: EntryValidation) -> None:
    if not validation.ok:
        raise FormEntryError(
            VALID_ENTRY_RULE,
            f"form {validation.form_id} v{validation.form_version} has "
            f"{len(validation.issues)} invalid item(s):\n{validation.describe()}",
        )


def _unknown(key: str, form: FormDef) -> ItemIssue:
    try:
        group = form.group_of(key)
    except KeyError:
        return ItemIssue(key, IssueKind.UNKNOWN_ITEM, f"form {form.id} has no item `{key}`")
    return ItemIssue(
        key,
        IssueKind.UNKNOWN_ITEM,
        f"`{key}` belongs to the repeating group `{group.id}`: give it inside its rows",
    )


def _validate_rows(
    group_id: str, items: Sequence[ItemDef], rows: object, issues: list[ItemIssue]
) -> tuple[dict[str, EntryValue], ...]:
    if rows is None:
        return ()
    if isinstance(rows, str | bytes | Mapping) or not isinstance(rows, Sequence):
        message = f"expected a list of rows, got {type(rows).__name__}"
        issues.append(ItemIssue(group_id, IssueKind.WRONG_TYPE, message))
        return ()
    result = []
    for index, row in enumerate(rows):
        path = f"{group_id}[{index}]"
        if not isinstance(row, Mapping):
            message = f"row {index + 1}: expected a mapping of items, got {type(row).__name__}"
            issues.append(ItemIssue(path, IssueKind.WRONG_TYPE, message))
            continue
        result.append(_validate_row(path + ".", items, row, issues))
        ids = {item.id for item in items}
        issues.extend(
            ItemIssue(f"{path}.{key}", IssueKind.UNKNOWN_ITEM, f"group {group_id} has no `{key}`")
            for key in row
            if key not in ids
        )
    return tuple(result)


def _validate_row(
    prefix: str, items: Sequence[ItemDef], row: Mapping[str, object], issues: list[ItemIssue]
) -> dict[str, EntryValue]:
    """The row's normalised values; its issues appended in the order of the items.

    Values are normalised first, so that an item ``required_when`` another reads the
    other's normalised value (``"yes"`` and ``True`` both mean true).
    """
    result: dict[str, EntryValue] = {}
    refused: dict[str, ItemIssue] = {}
    for item in items:
        raw = row.get(item.id)
        if is_missing(raw):
            continue
        try:
            result[item.id] = normalise_value(item, raw)
        except ItemRefusedError as error:
            path = prefix + item.id
            refused[item.id] = ItemIssue(path, error.kind, f"{item.label}: {error.message}")
    for item in items:
        if item.id in refused:
            issues.append(refused[item.id])
        elif item.id not in result and (why := _required(item, result)) is not None:
            message = f"{item.label} (`{item.id}`) is required{why}"
            issues.append(ItemIssue(prefix + item.id, IssueKind.MISSING, message))
    return result


def _required(item: ItemDef, row: Mapping[str, EntryValue]) -> str | None:
    """``""`` when the item is always required, ``" when ..."`` when its condition holds."""
    if item.required:
        return ""
    condition = item.required_when
    if condition is None or condition.item not in row:
        return None
    value = row[condition.item]
    held = any(type(value) is type(wanted) and value == wanted for wanted in condition.equals)
    return f" {condition.describe()}" if held else None
