"""Dose levels read from a registry record's free text.

Records state an escalation schedule in prose ("Dose Level 1 (starting dose) at
4x10^5 cells/kg", in the seed with a multiplication sign and superscripts). A
number becomes a level only when a label ("Dose Level 2", "DL1", "Cohort A:") or
a "dose levels of 100, 200 and 400 mg" list ties it to the escalation, so ages,
volumes and day counts never become doses, and a record stating no amounts
yields no levels. Each level quotes its span; what could not be read, or
disagrees between texts, is said in ``notes``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from trialdesk.protocol.provenance import Source

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

__all__ = ["DoseLevel", "DoseLevels", "parse_amount", "parse_dose_levels"]


class DoseLevel(BaseModel):
    """One dose level as written, with its amount normalised for ranking.

    ``label`` is the record's own name for the level (-1, 1, 2 or "1a"): labels
    are not indices, so ``order`` ranks the levels by amount instead.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: int | str
    order: int
    amount_as_written: str
    unit_as_written: str
    amount: float
    unit: str
    is_start: bool
    source: Source


class DoseLevels(BaseModel):
    """The levels a record states; ``stated`` is False, ``levels`` empty, when it states none."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stated: bool
    levels: tuple[DoseLevel, ...]
    start_label: int | str | None
    start_source: Source | None
    notes: tuple[str, ...]


_SUP = "[⁰¹²³⁴⁵⁶⁷⁸⁹]"
_TO_ASCII = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻\u2212", "0123456789+--")
_EXP = rf"(?:[⁺⁻]?{_SUP}{{1,3}}|(?:\^|\*\*|[eE])\s*[+\-\u2212]?[0-9]{{1,3}}(?![0-9]))"
_AMOUNT = (
    r"(?P<mant>[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])(?:\.[0-9]+)?|[0-9]*\.[0-9]+|[0-9]+)"
    rf"(?:\s*[\u00d7xX*\u00b7\u22c5]\s*10\s*(?P<pow>{_EXP})"
    rf"|(?P<bare>[⁺⁻]?{_SUP}{{1,3}}|(?:\^|\*\*)\s*[+\-\u2212]?[0-9]{{1,3}}(?![0-9]))"
    r"|[eE](?P<sci>[+\-\u2212]?[0-9]{1,3})(?![0-9]))?"
    r"(?:\s*(?P<word>million|billion)\b)?"
)
# Tokens naming the cells counted: "CAR-T", "CAR+ T", "iCAR-DC", "viable" (case matters).
_QUAL = r"(?:(?-i:[A-Za-z]*[A-Z][\w+\-]*|\w*[+\-][\w+\-]*|viable|total|nucleated|transduced)\s+)"
_PER = r"(?:\s*/\s*|\s+per\s+)(?:kg|m2|m²|m\^2|day|d|dose|week|wk)(?![A-Za-z0-9])"
_UNIT = (
    rf"(?P<upow>[\u00d7xX*]\s*10\s*{_EXP}\s*)?"
    rf"(?:(?P<mass>mg|µg|μg|ug|mcg|ng|g)(?![A-Za-z])|(?P<cells>{_QUAL}{{0,3}}cells?)\b"
    r"|(?P<count>IU|PFU|TCID50|vg|vp|CFU|Gy|units?)\b|(?=\s*/|\s+per\s))"
    rf"(?P<per>(?:{_PER}){{0,2}})(?!\s*/)"
)
_START_MARK = r"\(\s*(?:the\s+)?start(?:ing)?(?:\s+dose)?(?:\s+level)?\s*\)"
_KEY = r"(?:\b(?:dose[\s-]+level|dose\s+cohort|cohort|level)|\b(?-i:DL))"


def _free(pattern: str) -> str:
    """The pattern without its group names, to embed it in a larger one."""
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


def _label(name: str) -> str:
    """A level's label: -1, 2, "1a", "A" (not "1.5", "1,000")."""
    digits = r"[\-\u2212]?[0-9]{1,3}(?:[a-z](?![a-z]))?(?![0-9]|[.,][0-9])"
    return rf"(?P<{name}>{digits}|(?-i:[A-Z])(?!\w))"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_AMOUNT_RE, _UNIT_RE = _rx(_AMOUNT), _rx(_UNIT)
_DANGLING_RE = _rx(
    r"[0-9^⁰¹²³⁴⁵⁶⁷⁸⁹]|[.,][0-9]|\s*[\u00d7x*\u00b7\u22c5]\s*10\s*[\^⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻*e]"
)
_PER_PART_RE = _rx(r"kg|m2|m²|m\^2|day|d|dose|week|wk")
_AMT, _UNT = _free(_AMOUNT), _free(_UNIT)
_LEVEL_RE = _rx(
    rf"(?P<key>{_KEY})\s*{_label('label')}\s*(?P<mark1>{_START_MARK})?\s*"
    r"(?P<sep>[:=]|at\b|of\b|is\b|will\s+be\b|[-\u2014\u2013]|,)?\s*\(?\s*"
    rf"(?P<amount>{_AMT})(?:\s*(?P<unit>{_UNT}))?(?:\s*\)?\s*(?P<mark2>{_START_MARK}))?"
)
_MENTION_RE = _rx(rf"\b(?:dose[\s-]+level|(?-i:DL))\s*{_label('label')}\s*[:=]")
_ITEM = rf"(?<![0-9.,]){_AMT}(?:\s*{_UNT})?"
_LIST_RE = _rx(
    r"\b(?P<key>dose[\s-]+levels|dosing\s+levels|dose\s+cohorts|doses)\s*"
    r"(?::|of\b|are\b|include\b|including\b|will\s+be\b|at\b)?\s*"
    rf"(?P<items>{_ITEM}(?:(?:\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+){_ITEM})+)"
)
_ITEM_RE = _rx(rf"(?<![0-9.,])(?P<amount>{_AMT})(?:\s*(?P<unit>{_UNT}))?")
_HEADER_UNIT_RE = _rx(rf"\(\s*(?P<unit>{_UNT})\s*\)")
_ROW_END_RE = _rx(r"[ \t]*(?:$|[\n\r;|]|[,.](?![0-9]))")
_START_AMOUNT_RE = _rx(
    rf"\b(?:start(?:ing)?|initial)\s+dose\b[^.;\n]{{0,80}}?(?<![0-9.,])(?P<amount>{_AMT})"
    rf"\s*(?P<unit>{_UNT})|\bstarts?\s+at\s+(?:a\s+dose\s+of\s+)?(?P<amount2>{_AMT})"
    rf"\s*(?P<unit2>{_UNT})"
)
_START_LABEL_RE = _rx(
    r"\b(?:(?:begin(?:s|ning)?|start(?:s|ing)?|commenc\w*|initiat\w*)\s+(?:with|at|from)\s+"
    rf"(?:the\s+)?{_KEY}|start(?:ing)?\s+dose\s+level(?:\s*(?:is|will\s+be|:))?(?:\s*{_KEY})?)"
    rf"\s*{_label('label')}"
)
_ESCALATION_RE = _rx(r"escalat")


def parse_amount(text: str) -> tuple[float, str] | None:
    """Read the amount at the start of ``text``: its value and the span as written.

    Reads 4x10^5 (or with a multiplication sign, middle dot, superscripts), 4 x 10e5,
    4*10^5, 10^6, 4.0E+05, 400,000, 0.5, "2 million". None when no amount starts the
    text or one runs on unreadably ("4x10^12345", "1,5"): a partly read number is wrong.
    """
    return _amount(text)


def _amount(text: str, shift: int = 0) -> tuple[float, str] | None:
    """:func:`parse_amount` with ``shift`` added to the power of ten (from the unit)."""
    start = len(text) - len(text.lstrip())
    match = _AMOUNT_RE.match(text, start)
    if match is None or _DANGLING_RE.match(text, match.end()):
        return None
    mantissa = match["mant"].replace(",", "")
    if match["bare"] is not None and mantissa != "10":
        return None  # "2^5" is not a power of ten
    written = match["pow"] or match["bare"] or match["sci"] or "0"
    exponent = int(written.translate(_TO_ASCII).lstrip("^*eE \t").replace(" ", "") or "0")
    exponent += shift + {"million": 6, "billion": 9}.get((match["word"] or "").lower(), 0)
    # Decimal text, not float arithmetic: "4e5" is exactly 400000.0, 4 * 10.0**5 may not be.
    value = float(f"{'1' if match['bare'] else mantissa}e{exponent}")
    return (value, match.group(0)) if math.isfinite(value) else None


@dataclass(frozen=True)
class _Unit:
    exponent: int  # a power of ten written inside the unit ("x10^6 cells/kg")
    unit: str
    as_written: str


_BASES = {"µg": "ug", "μg": "ug", "mcg": "ug", "iu": "IU", "pfu": "PFU", "tcid50": "TCID50"}
_BASES |= {"cfu": "CFU", "gy": "Gy", "unit": "U", "units": "U"}
_PERS = {"m²": "m2", "m^2": "m2", "d": "day", "wk": "week"}


def _read_unit(text: str) -> _Unit | None:
    """The unit at the start of ``text``, normalised ("CAR-T cells/kg" -> "cells/kg")."""
    match = _UNIT_RE.match(text)
    if match is None or not match.group(0).strip():
        return None
    written = (match["mass"] or match["count"] or "").lower()
    base = "cells" if match["cells"] else _BASES.get(written, written)
    pers = [_PERS.get(p.lower(), p.lower()) for p in _PER_PART_RE.findall(match["per"])]
    power = re.sub(r"^\D*10\s*[\^*eE]*", "", (match["upow"] or "").strip())
    exponent = int(power.translate(_TO_ASCII) or "0")
    return _Unit(exponent, base + "".join(f"/{p}" for p in pers), match.group(0).strip())


def _to_label(written: str) -> int | str:
    plain = written.translate(_TO_ASCII)
    return int(plain) if re.fullmatch(r"-?[0-9]+", plain) else written


@dataclass(frozen=True)
class _Read:
    """A level read from one text, before ranking."""

    label: int | str
    amount: tuple[float, str]
    unit: _Unit
    marked_start: bool
    source: Source
    position: int


def _quote(path: str, text: str, start: int, end: int) -> Source:
    """The span as a source, closing a parenthesis the span opened ("level -1 (50 mg")."""
    span = text[start:end]
    if span.count("(") > span.count(")") and text[end:].lstrip().startswith(")"):
        end = text.index(")", end) + 1
    return Source(path=path, quote=text[start:end].strip())


def _unit_free_row(text: str, match: re.Match[str]) -> bool:
    """A unit-less row ("- Level 2: 8 x 10^5") is read only in a labelled table row."""
    labelled = match["sep"] in (":", "=") and not match["key"].lower().startswith("cohort")
    return labelled and bool(_ROW_END_RE.match(text, match.end("amount")))


def _levels_in(path: str, text: str) -> tuple[list[_Read], list[re.Match[str]]]:
    """Labelled levels with a unit, and the unit-less rows left for :func:`_fill_units`."""
    found: list[_Read] = []
    unitless: list[re.Match[str]] = []
    for match in _LEVEL_RE.finditer(text):
        unit = _read_unit(match["unit"]) if match["unit"] else None
        if unit is not None:
            found += _make_read(path, text, match, unit)
        elif _unit_free_row(text, match):
            unitless.append(match)
    return found, unitless


def _make_read(path: str, text: str, match: re.Match[str], unit: _Unit) -> list[_Read]:
    amount = _amount(text[match.start("amount") :], unit.exponent)
    if amount is None:
        return []
    marked = bool(match["mark1"] or match["mark2"])
    source = _quote(path, text, match.start(), match.end())
    return [_Read(_to_label(match["label"]), amount, unit, marked, source, match.start())]


def _fill_units(
    path: str, text: str, found: list[_Read], rows: list[re.Match[str]]
) -> tuple[list[_Read], list[str]]:
    """Give unit-less rows the one unit their table states (siblings or a "(unit)" header)."""
    if not rows:
        return found, []
    headers = (_read_unit(m["unit"]) for m in _HEADER_UNIT_RE.finditer(text))
    units = {(r.unit.exponent, r.unit.unit): r.unit for r in found}
    units.update({(u.exponent, u.unit): u for u in headers if u is not None})
    where = f"beside dose level(s) {', '.join(m['label'] for m in rows)} in {path}"
    if "dose" not in text.lower() or len(units) != 1:
        return found, [f"no unit is written {where}, nor one for its table: not read"]
    (unit,) = units.values()
    reads = [read for m in rows for read in _make_read(path, text, m, unit)]
    note = f"no unit is written {where}: read as {unit.as_written}, the unit of its table"
    return sorted([*found, *reads], key=lambda r: r.position), [note]


def _lists_in(path: str, text: str) -> Iterator[list[_Read]]:
    """Unlabelled "dose levels of 100, 200 and 400 mg" lists, labelled 1..n in order."""
    for match in _LIST_RE.finditer(text):
        near = _ESCALATION_RE.search(text, max(0, match.start() - 120), match.end())
        if match["key"].lower() == "doses" and not near:
            continue
        items = list(_ITEM_RE.finditer(match["items"]))
        units = [_read_unit(i["unit"]) if i["unit"] else None for i in items]
        source = _quote(path, text, match.start(), match.end())
        reads = []
        for number, item in enumerate(items, start=1):
            unit = next((u for u in units[number - 1 :] if u is not None), None)
            amount = _amount(item["amount"], unit.exponent) if unit else None
            if unit is None or amount is None:
                break
            reads.append(_Read(number, amount, unit, False, source, match.start()))
        if len(reads) == len(items):
            yield reads


def _same(first: _Read, other: _Read) -> bool:
    return (first.amount[0], first.unit.unit) == (other.amount[0], other.unit.unit)


def _merge(reads: Sequence[_Read]) -> tuple[list[_Read], list[str]]:
    """One level per label: the first statement wins and a disagreeing one is noted."""
    kept: dict[int | str, _Read] = {}
    notes: list[str] = []
    for read in reads:
        first = kept.setdefault(read.label, read)
        if not _same(first, read):
            notes.append(
                f"two statements give different amounts for level {read.label}: kept the first "
                f"({first.source.path}: {first.source.quote!r}), ignored "
                f"({read.source.path}: {read.source.quote!r})"
            )
    return list(kept.values()), notes


def _choose(texts: Sequence[tuple[str, str]]) -> tuple[list[_Read], list[str]]:
    """Labelled levels from every text; failing those, the first unlabelled list."""
    labelled: list[_Read] = []
    lists: list[list[_Read]] = []
    notes: list[str] = []
    for path, text in texts:
        found, rows = _levels_in(path, text)
        found, row_notes = _fill_units(path, text, found, rows)
        labelled += found
        notes += row_notes + _unread_mentions(path, text, found)
        lists += _lists_in(path, text)
    if labelled:
        kept, merge_notes = _merge(labelled)
        return kept, notes + merge_notes
    levels, list_notes = _from_lists(lists)
    return levels, notes + list_notes


def _from_lists(lists: Sequence[list[_Read]]) -> tuple[list[_Read], list[str]]:
    """The first unlabelled list, labelled 1..n in order; a later, different list is noted."""
    if not lists:
        return [], []
    first, where = lists[0], f"{lists[0][0].source.path}: {lists[0][0].source.quote!r}"
    values = [r.amount[0] for r in first]
    grouped = [r.amount[1] for r in first if "," in r.amount[1]]
    if grouped and values != sorted(set(values)):
        return [], [f"commas may separate levels or thousands in ({where}): not read"]
    unlabelled = f"labelled 1 to {len(first)} in the order written, since the record gives none"
    notes = [f"dose levels carry no labels ({where}): {unlabelled}"]
    notes += [f"read {grouped} with commas as thousands separators"] if grouped else []
    notes += [
        f"ignored a different list of dose levels ({other[0].source.path}: "
        f"{other[0].source.quote!r})"
        for other in lists[1:]
        if len(other) != len(first) or not all(map(_same, first, other))
    ]
    return first, notes


def _unread_mentions(path: str, text: str, found: list[_Read]) -> list[str]:
    read = {r.label for r in found}
    return [
        f"{m.group(0).rstrip(':= ')} in {path} is followed by something not read as an amount"
        for m in _MENTION_RE.finditer(text)
        if _to_label(m["label"]) not in read
    ]


def _start_candidates(
    texts: Sequence[tuple[str, str]], reads: Sequence[_Read]
) -> Iterator[tuple[int | str | None, Source]]:
    """Each statement of the starting level: its label (None if no level matches) and quote."""
    for read in reads:
        if read.marked_start:
            yield read.label, read.source
    for path, text in texts:
        for match in _START_AMOUNT_RE.finditer(text):
            yield _level_with_amount(text, match, reads), _quote(path, text, *match.span())
        for match in _START_LABEL_RE.finditer(text):
            label = _to_label(match["label"])
            known = label if any(r.label == label for r in reads) else None
            yield known, _quote(path, text, *match.span())


def _level_with_amount(text: str, match: re.Match[str], reads: Sequence[_Read]) -> int | str | None:
    group = "amount" if match["amount"] else "amount2"
    unit = _read_unit(match["unit"] or match["unit2"] or "")
    amount = _amount(text[match.start(group) :], unit.exponent) if unit else None
    if unit is None or amount is None:
        return None
    same = [
        r.label for r in reads if r.unit.unit == unit.unit and math.isclose(r.amount[0], amount[0])
    ]
    return same[0] if len(same) == 1 else None


def _start(
    texts: Sequence[tuple[str, str]], reads: Sequence[_Read]
) -> tuple[int | str | None, Source | None, list[str]]:
    """The starting level when every statement of it agrees; otherwise None and a note."""
    candidates = list(_start_candidates(texts, reads))
    unmatched = "matches no dose level read" if reads else "the record states no dose levels"
    notes = [
        f"a starting dose is stated ({source.path}: {source.quote!r}) but {unmatched}"
        for label, source in candidates
        if label is None
    ]
    labels = list(dict.fromkeys(label for label, _ in candidates if label is not None))
    if len(labels) > 1:
        notes.append(f"the texts name different starting levels {labels}: none taken")
    if len(labels) != 1:
        return None, None, notes
    return labels[0], next(s for label, s in candidates if label == labels[0]), notes


def parse_dose_levels(texts: Sequence[tuple[str, str]]) -> DoseLevels:
    """Read the dose levels stated in a record's free ``(path, text)`` pairs.

    Labelled levels win over unlabelled lists; a label stated twice keeps its
    first amount. ``order`` ranks by amount (ties: order of appearance). When no
    text ties an amount to a dose level, ``stated`` is False and ``levels`` is
    empty: a missing schedule is a gap to fill by hand, never a guess.
    """
    reads, notes = _choose(texts)
    start_label, start_source, start_notes = _start(texts, reads)
    ranks = sorted(range(len(reads)), key=lambda i: (reads[i].amount[0], i))
    orders = {index: rank for rank, index in enumerate(ranks, start=1)}
    if len({r.unit.unit for r in reads}) > 1:
        notes.append("the dose levels are written in different units: their order needs review")
    levels = tuple(
        DoseLevel(
            label=r.label,
            order=orders[i],
            amount_as_written=r.amount[1].strip(),
            unit_as_written=r.unit.as_written,
            amount=r.amount[0],
            unit=r.unit.unit,
            is_start=r.label == start_label,
            source=r.source,
        )
        for i, r in enumerate(reads)
    )
    return DoseLevels(
        stated=bool(levels),
        levels=levels,
        start_label=start_label,
        start_source=start_source,
        notes=tuple(dict.fromkeys([*notes, *start_notes])),
    )
