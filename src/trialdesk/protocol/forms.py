"""Case report forms as data: items, groups, forms, and which visits need which forms.

A form is defined once, here, and everything else derives from it: the page the web
layer renders, the validation of an entry (:mod:`trialdesk.conduct.form_entry`), the
export mapping. The shapes follow CDISC ODM (``FormDef`` > ``ItemGroupDef`` >
``ItemDef``, with ``CodeList`` and ``RangeCheck``; CDISC ODM v1.3.2, sections 3.1.2
and 3.1.3) so that an ODM export is a mapping, not a translation.

A definition that cannot be right is refused when it is built: duplicate ids, an
unknown or non-canonical UCUM unit (checked through
:func:`trialdesk.clinical.units.parse_unit`), a range whose minimum exceeds its
maximum, a code list on an item that is not coded, a derivation naming an item that
does not exist. Checks that need the study (its visit ids, its registered outcomes)
are in :func:`check_form_set`, which returns every problem with its path.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from trialdesk.clinical.errors import UnitError
from trialdesk.clinical.units import parse_unit
from trialdesk.protocol.checks import Problem

__all__ = [
    "Derivation",
    "FormDef",
    "FormSet",
    "ItemDef",
    "ItemGroupDef",
    "ItemType",
    "RequiredWhen",
    "ValueRange",
    "check_form_set",
]

_ID = r"^[a-z][a-z0-9_]*$"
# UCUM's printable characters (UCUM section 2.1, "Character set and lexical rules"):
# a fixed unit outside trialdesk's conversion table is checked for its spelling only.
_UCUM_SYNTAX = re.compile(r"^[!-~]+$")
_NUMERIC = frozenset({"integer", "decimal", "quantity"})


class ItemType(StrEnum):
    """What an item holds; ``quantity`` is a number with a convertible UCUM unit."""

    INTEGER = "integer"
    DECIMAL = "decimal"
    TEXT = "text"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    CODE = "code"
    QUANTITY = "quantity"


class ValueRange(BaseModel):
    """Inclusive bounds in the item's unit; either side may be open (``None``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min: Decimal | None = None
    max: Decimal | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ValueRange:
        if self.min is None and self.max is None:
            raise ValueError("a range needs a min, a max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"range min {self.min} is greater than max {self.max}")
        return self

    def describe(self, unit: str | None = None) -> str:
        """The range as a reader sees it: ``0.1 to 20 mg/dL``, ``at least 0``."""
        suffix = f" {unit}" if unit else ""
        if self.min is not None and self.max is not None:
            return f"{self.min} to {self.max}{suffix}"
        if self.min is not None:
            return f"at least {self.min}{suffix}"
        return f"at most {self.max}{suffix}"


class Derivation(BaseModel):
    """How a derived item is computed: a named method and the items it reads.

    ``items`` name items of the same form (``fvc_l``) or of another form of the set
    (``demographics.sex``); ``method`` names the algorithm and its version
    (``gli-2012 percent predicted``), as every derived value must.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: str = Field(min_length=1)
    items: tuple[str, ...] = Field(min_length=1)


class RequiredWhen(BaseModel):
    """An item required only when another item of its group holds one of ``equals``.

    ODM 1.3.2 expresses the converse (``CollectionExceptionConditionOID``: when an item
    is *not* collected) through a method; a follow-up question such as "seriousness
    criterion, when the event is serious" reads better this way round. The controlling
    item is in the same group (for a repeating group: the same row), so that the
    condition is read from the very row being entered. A controlling item left empty
    decides nothing: it is reported itself when it is required.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    item: str = Field(pattern=_ID)
    equals: tuple[bool | int | str, ...] = Field(min_length=1)

    def describe(self) -> str:
        """``when `ae_serious` is true``, for the message of a missing item."""
        shown = " or ".join(
            str(value).lower() if isinstance(value, bool) else str(value) for value in self.equals
        )
        return f"when `{self.item}` is {shown}"


class ItemDef(BaseModel):
    """One question of a form.

    ``unit`` is a UCUM code. A ``quantity`` item needs one that trialdesk converts
    (:data:`trialdesk.clinical.units.UNITS`), written canonically; an entry in another
    unit of that dimension is converted exactly, and ``analyte`` names the factor that
    crosses dimensions (``creatinine``: mg/dL to umol/L). An ``integer`` or ``decimal``
    item may carry a fixed unit that is not converted (``Cel``, ``/min``, ``pg/mL``):
    its entry is a bare number in that unit. ``reference_range`` marks a laboratory
    result whose entry carries the performing lab's LLN/ULN. A derived item is computed
    from others and so is never required.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID)
    label: str = Field(min_length=1)
    type: ItemType
    unit: str | None = None
    analyte: str | None = None
    range: ValueRange | None = None
    required: bool = False
    required_when: RequiredWhen | None = None
    codes: dict[str, str] | None = None
    derived_from: Derivation | None = None
    reference_range: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ItemDef:
        for problem in (
            self._unit_problem(),
            self._range_problem(),
            self._codes_problem(),
            self._derivation_problem(),
        ):
            if problem is not None:
                raise ValueError(f"item `{self.id}`: {problem}")
        return self

    def _unit_problem(self) -> str | None:
        if self.type is ItemType.QUANTITY:
            return _convertible_unit_problem(self.unit)
        if self.analyte is not None or self.reference_range:
            return "analyte and reference_range belong to quantity items only"
        if self.unit is not None and self.type not in _NUMERIC:
            return f"a {self.type.value} item has no unit (got {self.unit!r})"
        if self.unit is not None and not _UCUM_SYNTAX.match(self.unit):
            return f"unit {self.unit!r} is not a UCUM code (printable ASCII, no spaces)"
        return None

    def _range_problem(self) -> str | None:
        if self.range is not None and self.type not in _NUMERIC:
            return f"a {self.type.value} item has no numeric range"
        return None

    def _codes_problem(self) -> str | None:
        if self.type is ItemType.CODE and not self.codes:
            return "a code item needs a non-empty code list"
        if self.type is not ItemType.CODE and self.codes is not None:
            return f"a {self.type.value} item has no code list (make it a code item)"
        return None

    def _derivation_problem(self) -> str | None:
        if self.derived_from is not None and (self.required or self.required_when):
            return "a derived item is computed, so it cannot be required"
        if self.required and self.required_when is not None:
            return "an item is either always required or required_when a condition, not both"
        if self.derived_from is not None and self.id in self.derived_from.items:
            return "an item cannot be derived from itself"
        return None


def _convertible_unit_problem(unit: str | None) -> str | None:
    if unit is None:
        return "a quantity item needs a unit (a UCUM code)"
    try:
        canonical = parse_unit(unit).code
    except UnitError as exc:
        return str(exc)
    if canonical != unit:
        return f"unit {unit!r} is an alias; write the UCUM code {canonical!r}"
    return None


class ItemGroupDef(BaseModel):
    """Items shown and stored together; a repeating group holds any number of rows.

    A repeating group's entry is a list of rows (adverse events, medications), each
    row a mapping of its item ids; its ``required`` items are required in every row.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID)
    label: str = Field(min_length=1)
    repeating: bool = False
    items: tuple[ItemDef, ...]

    @model_validator(mode="after")
    def _not_empty(self) -> ItemGroupDef:
        # Checked here rather than by min_length, which would repeat as noise up the
        # tree whenever an item below is refused.
        if not self.items:
            raise ValueError(f"group `{self.id}` has no items")
        by_id = {item.id: item for item in self.items}
        for item in self.items:
            if item.required_when is not None:
                problem = _condition_problem(item.required_when, by_id.get(item.required_when.item))
                if problem is not None:
                    raise ValueError(
                        f"group `{self.id}`, item `{item.id}`: required_when {problem}"
                    )
        return self


def _condition_problem(condition: RequiredWhen, controlling: ItemDef | None) -> str | None:
    """Why ``condition`` cannot be read from ``controlling`` (its item in the group)."""
    if controlling is None:
        return f"names `{condition.item}`, which is not an item of this group"
    kinds = {ItemType.BOOLEAN: bool, ItemType.INTEGER: int, ItemType.CODE: str}
    kind = kinds.get(controlling.type)
    if kind is None:
        kind_name = controlling.type.value
        return f"reads `{controlling.id}`, a {kind_name} item (use boolean, integer or code)"
    for value in condition.equals:
        wrong_type = type(value) is not kind
        if wrong_type or (controlling.codes is not None and value not in controlling.codes):
            expected = (
                f"one of its codes {sorted(controlling.codes)}"
                if controlling.codes
                else kind.__name__
            )
            return f"compares `{controlling.id}` with {value!r}; expected {expected}"
    return None


class FormDef(BaseModel):
    """A versioned form: its groups, with item ids unique across the whole form.

    Entries are stored with the form's ``version``, so a change of an item is a new
    version of the form, never an edit under the same one.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID)
    version: str = Field(min_length=1)
    title: str = Field(min_length=1)
    groups: tuple[ItemGroupDef, ...]

    @model_validator(mode="after")
    def _unique_and_resolved(self) -> FormDef:
        if not self.groups:
            raise ValueError(f"form `{self.id}` has no groups")
        names = [group.id for group in self.groups] + [
            item.id for group in self.groups for item in group.items
        ]
        repeated = sorted(name for name, count in Counter(names).items() if count > 1)
        if repeated:
            raise ValueError(f"form `{self.id}`: ids used twice: {', '.join(repeated)}")
        local = self.items
        for item in local.values():
            if item.derived_from is None:
                continue
            refs = item.derived_from.items
            missing = [ref for ref in refs if "." not in ref and ref not in local]
            if missing:
                raise ValueError(
                    f"form `{self.id}`: item `{item.id}` is derived from unknown "
                    f"item(s) {', '.join(missing)}"
                )
        return self

    @property
    def items(self) -> dict[str, ItemDef]:
        """Every item of the form by id, in the order of the form."""
        return {item.id: item for group in self.groups for item in group.items}

    def group_of(self, item_id: str) -> ItemGroupDef:
        """The group holding ``item_id`` (``KeyError`` when the form has no such item)."""
        for group in self.groups:
            if any(item.id == item_id for item in group.items):
                return group
        raise KeyError(item_id)


class FormSet(BaseModel):
    """A study's forms, the forms each visit requires, and the items of each outcome.

    ``visit_forms`` maps a visit id to the ids of the forms due at that visit;
    ``outcome_items`` maps a registered outcome id to the ``form.item`` references
    that capture it, so no registered outcome goes uncollected.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    forms: tuple[FormDef, ...]
    visit_forms: dict[str, tuple[str, ...]] = {}
    outcome_items: dict[str, tuple[str, ...]] = {}

    @model_validator(mode="after")
    def _references_resolve(self) -> FormSet:
        if not self.forms:
            raise ValueError("a form set needs at least one form")
        repeated = sorted(f for f, count in Counter(f.id for f in self.forms).items() if count > 1)
        if repeated:
            raise ValueError(f"form ids used twice: {', '.join(repeated)}")
        problems = [
            *(
                f"visit_forms.{visit}: unknown form `{form_id}`"
                for visit, form_ids in self.visit_forms.items()
                for form_id in form_ids
                if form_id not in self.by_id
            ),
            *(
                f"outcome_items.{outcome}: {problem}"
                for outcome, refs in self.outcome_items.items()
                for problem in self._unresolved(refs)
            ),
            *(
                f"forms.{form.id}.{item.id}.derived_from: {problem}"
                for form in self.forms
                for item in form.items.values()
                if item.derived_from is not None
                for problem in self._unresolved(r for r in item.derived_from.items if "." in r)
            ),
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _unresolved(self, refs: Iterable[str]) -> Iterable[str]:
        for ref in refs:
            form_id, _, item_id = ref.partition(".")
            form = self.by_id.get(form_id)
            if form is None or item_id not in form.items:
                yield f"`{ref}` names no item (expected form_id.item_id)"

    @property
    def by_id(self) -> dict[str, FormDef]:
        """Every form by id."""
        return {form.id: form for form in self.forms}

    def item(self, ref: str) -> ItemDef:
        """The item of a ``form_id.item_id`` reference (``KeyError`` when unknown)."""
        form_id, _, item_id = ref.partition(".")
        return self.by_id[form_id].items[item_id]

    def forms_for(self, visit_id: str) -> tuple[FormDef, ...]:
        """The forms due at ``visit_id``, in the order listed (none for an unknown visit)."""
        return tuple(self.by_id[form_id] for form_id in self.visit_forms.get(visit_id, ()))


def check_form_set(
    form_set: FormSet, visit_ids: Iterable[str], outcome_ids: Iterable[str] | None = None
) -> list[Problem]:
    """Every problem of ``form_set`` against its study: visits and registered outcomes.

    A visit of ``visit_forms`` must be a visit of the study; every visit of the study
    should have a form (a warning: a visit may be a phone call); every registered
    outcome must be mapped to at least one item, and only registered outcomes may be
    (the outcomes are checked only when ``outcome_ids`` is given).
    """
    visits = list(visit_ids)
    outcomes = list(form_set.outcome_items if outcome_ids is None else outcome_ids)
    mapped: Mapping[str, tuple[str, ...]] = form_set.outcome_items
    return [
        *(
            Problem(("visit_forms", visit), f"`{visit}` is not a visit of the study")
            for visit in form_set.visit_forms
            if visit not in visits
        ),
        *(
            Problem(("visit_forms",), f"visit `{visit}` requires no form", "warning")
            for visit in visits
            if not form_set.visit_forms.get(visit)
        ),
        *(
            Problem(("outcome_items",), f"registered outcome `{outcome}` is captured by no item")
            for outcome in outcomes
            if not mapped.get(outcome)
        ),
        *(
            Problem(("outcome_items", outcome), f"`{outcome}` is not a registered outcome")
            for outcome in mapped
            if outcome not in outcomes
        ),
    ]
