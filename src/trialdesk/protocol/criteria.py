"""Split a registry ``eligibilityCriteria`` text into inclusion and exclusion items.

ClinicalTrials.gov keeps eligibility as one markdown-like string typed by the
sponsor: headers ("Inclusion Criteria:"), bullets or numbers, hard-wrapped
lines, nested lists that restart their numbering, and the odd item run on into
the next. Every span read is kept as an offset into the input, so each item
quotes its source verbatim and a reviewer can find it. Only splitting happens
here; thresholds are read elsewhere. Whatever had to be guessed is said in
``SplitCriteria.notes``. Lines, markers and headers are read in
:mod:`trialdesk.protocol.criteria_lines`; this module folds them into items.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from trialdesk.protocol.criteria_lines import (
    DANGLING_RE,
    Header,
    Line,
    Marker,
    clause_lines,
    clean_text,
    label_kind,
    label_value,
    paragraphs,
    read_marker,
    read_sections,
    run_on,
)
from trialdesk.protocol.provenance import Source

__all__ = ["CriterionItem", "SplitCriteria", "flatten_text", "split_criteria"]


class CriterionItem(BaseModel):
    """One criterion as written; ``id`` is its position ("I4.2"), not its printed label."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    text: str
    sub_items: tuple[CriterionItem, ...] = ()
    source: Source


class SplitCriteria(BaseModel):
    """The items of both sections, the text that is no item, and what was guessed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    inclusion: tuple[CriterionItem, ...]
    exclusion: tuple[CriterionItem, ...]
    preamble: str | None
    notes: tuple[str, ...]


_MAX_DEPTH = 10


@dataclass(eq=False, slots=True)
class _Node:
    start: int
    end: int
    pieces: list[tuple[int, int]]
    indent: int
    marker: Marker | None
    children: list[_Node] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    owner: _List | None = None


@dataclass(eq=False, slots=True)
class _List:
    indent: int
    kind: str
    bullet: str
    delim: str
    items: list[_Node]
    next: int = 1

    def add(self, node: _Node) -> None:
        self.items.append(node)
        node.owner = self
        value = label_value(node.marker.label, self.kind) if node.marker else None
        self.next = self.next if value is None else value + 1

    def continues(self, m: Marker, level: int) -> bool:
        """Level 0: same style, next label; 1: next label; 2: any bullet, or same style."""
        if self.kind == "bullet":
            return m.label == "" and (m.bullet == self.bullet or level == 2)
        value = label_value(m.label, self.kind)
        if level == 2:
            return (m.bullet, m.delim) == (self.bullet, self.delim) and value is not None
        same = m.bullet == self.bullet and (level == 1 or m.delim == self.delim)
        return same and value == self.next


def _text(text: str, node: _Node) -> str:
    return clean_text(" ".join(text[s:e] for s, e in node.pieces))


class _Builder:
    """Fold marked lines into nested lists, the way a reader of the record would.

    Indentation nests first (two or more spaces deeper is a child). At one
    indent, a marker that continues an open list (same bullet, or the next
    number) joins it, innermost list first; after an item ending in ":" a list
    that restarts its numbering or changes style is that item's sub-list.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.stack: list[_List] = []
        self.cur: _Node | None = None

    def feed(self, line: Line) -> None:
        queue = deque([line])
        while queue:
            ln = queue.popleft()
            m = read_marker(self.text, ln)
            if m is not None:
                self._place(ln, m)
            elif not self._attach(ln):
                self._loose(ln)
            queue.extendleft(self._cut_run_on(ln))

    def _place(self, ln: Line, m: Marker) -> None:
        node = _Node(ln.start, ln.end, [(m.text_start, ln.end)], ln.indent, m)
        node.findings += [ln.note] if ln.note else []
        self._target(ln, m).add(node)
        self.cur = node

    def _push(self, m: Marker, indent: int, parent: _Node | None) -> _List:
        if len(self.stack) >= _MAX_DEPTH:  # no record nests this deep; stay flat, stay bounded
            return self.stack[-1]
        items = parent.children if parent is not None else []
        self.stack.append(_List(indent, label_kind(m.label), m.bullet, m.delim, items))
        return self.stack[-1]

    def _target(self, ln: Line, m: Marker) -> _List:
        if not self.stack:
            return self._push(m, ln.indent, None)
        while len(self.stack) > 1 and self.stack[-1].indent > ln.indent + 1:
            self.stack.pop()
        top = self.stack[-1]
        last = top.items[-1]
        if ln.indent >= top.indent + 2 or (last.marker is None and self._ends_colon(last)):
            return self._push(m, ln.indent, last)
        found = self._find(ln, m, 0) or self._find(ln, m, 1)
        if found is None and self._opens_group(top, m):
            return self._push(m, ln.indent, last)
        return found or self._find(ln, m, 2) or top

    def _find(self, ln: Line, m: Marker, level: int) -> _List | None:
        """The innermost open list at this indent that ``m`` continues; closes lists inside it."""
        for i in range(len(self.stack) - 1, -1, -1):
            lst = self.stack[i]
            if abs(lst.indent - ln.indent) <= 1 and lst.continues(m, level):
                del self.stack[i + 1 :]
                return lst
        return None

    def _ends_colon(self, node: _Node) -> bool:
        return _text(self.text, node).endswith(":")

    def _opens_group(self, top: _List, m: Marker) -> bool:
        """A list restarting in another kind ("a." under "1.") nests; after ":" any restart does."""
        restarts = label_value(m.label, label_kind(m.label)) == 1
        style = (label_kind(m.label), m.bullet, m.delim) != (top.kind, top.bullet, top.delim)
        if restarts and label_kind(m.label) != top.kind:
            return True
        return self._ends_colon(top.items[-1]) and (restarts or style)

    def _attach(self, ln: Line) -> bool:
        """Join an unmarked line to the item it continues: a hard wrap or an indented paragraph."""
        target = self.cur if not ln.blank_before else None
        for lst in reversed(self.stack if target is None else []):
            if lst.items[-1].indent + 2 <= ln.indent:
                target = lst.items[-1]
                break
        if target is None:
            return False
        target.pieces.append((ln.start, ln.end))
        target.end = target.end if target.children else ln.end
        self.cur = target
        return True

    def _loose(self, ln: Line) -> None:
        """An unbulleted paragraph between items becomes a top-level item of its own."""
        del self.stack[1:]
        if not self.stack:
            self.stack.append(_List(ln.indent, "bullet", "", "", []))
        node = _Node(ln.start, ln.end, [(ln.start, ln.end)], ln.indent, None)
        self.stack[0].add(node)
        self.cur = node

    def _cut_run_on(self, ln: Line) -> list[Line]:
        """Split the item just read where the next one runs on in the same line."""
        node = self.cur
        if node is None or node.owner is None:
            return []
        start, end = node.pieces[-1]
        found = run_on(self.text, node.owner, ln, start, end)
        if found is None:
            return []
        note = f"{{kind}} item {{prev}} ran into item {{item}} on one line; split at '{found[1]}'"
        rest = Line(found.start(1), end, node.indent, False, ln.inline, "" if ln.inline else note)
        if read_marker(self.text, rest) is None:  # a cut that starts no item would loop forever
            return []
        node.pieces[-1] = (start, found.start())
        node.end = found.start() if node.end == end else node.end
        return [rest]


def _merge_dangling(text: str, items: list[_Node]) -> None:
    """Rejoin an item a stray bullet cut mid-sentence ("inducers of" / "* CYP3A ...")."""
    i = 0
    while i < len(items):
        node, nxt = items[i], items[i + 1] if i + 1 < len(items) else None
        if nxt is not None and not node.children and DANGLING_RE.search(_text(text, node)):
            end = " ".join(_text(text, node).split()[-4:])
            node.findings.append(
                f"{{kind}} item {{item}} ended mid-sentence ('...{end}');"
                " joined with the next bullet"
            )
            node.pieces += nxt.pieces
            node.end, node.children = nxt.end, nxt.children
            del items[i + 1]
        else:
            _merge_dangling(text, node.children)
            i += 1


def _parse_marked(text: str, lines: list[Line]) -> tuple[list[Line], list[_Node], list[_Node]]:
    """Lead-in lines, items, and unbulleted paragraphs left after the last item."""
    first = next(i for i, ln in enumerate(lines) if read_marker(text, ln) is not None)
    builder = _Builder(text)
    for ln in lines[first:]:
        builder.feed(ln)
    roots = builder.stack[0].items
    trail: list[_Node] = []
    while roots and roots[-1].marker is None and not roots[-1].children:
        trail.insert(0, roots.pop())
    _merge_dangling(text, roots)
    for node in roots:
        if node.marker is None and node.children:
            node.findings.append(
                "{kind} item {item} is an unbulleted sub-heading; its list is its sub-items"
            )
        elif node.marker is None:
            node.findings.append("{kind} item {item} is an unbulleted paragraph between items")
    return lines[:first], roots, trail


def _unmarked_items(text: str, lines: list[Line]) -> list[_Node]:
    """Items of a section with no markers: one per line (or clause), unless a line plainly wraps."""
    nodes: list[_Node] = []
    for ln in (part for line in lines for part in clause_lines(text, line)):
        prev = nodes[-1] if nodes else None
        wraps = text[ln.start].islower() or text[ln.start].isdigit()
        if prev and not ln.blank_before and wraps and text[prev.end - 1] not in ".;:!?":
            prev.pieces.append((ln.start, ln.end))
            prev.end = ln.end
        else:
            nodes.append(_Node(ln.start, ln.end, [(ln.start, ln.end)], ln.indent, None))
    return nodes


@dataclass(slots=True)
class _Split:
    """What the sections add up to, before items get their ids."""

    text: str
    inclusion: list[_Node] = field(default_factory=list)
    exclusion: list[_Node] = field(default_factory=list)
    preamble: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    headless_items: bool = False

    def add(self, header: Header | None, lines: list[Line]) -> None:
        kind = header[0] if header else "inclusion"
        if header is not None:
            self._header(*header)
        if any(read_marker(self.text, ln) for ln in lines):
            nodes = self._marked(kind, lines)
        elif header is None or not lines:
            nodes, self.preamble = [], self.preamble + paragraphs(self.text, lines)
        else:
            nodes = _unmarked_items(self.text, lines)
            cut = " and before capitalised words (check)" if lines[0].inline else ""
            self.notes.append(f"{kind} section has no item markers; split by line{cut}")
        self.headless_items |= header is None and bool(nodes)
        (self.exclusion if kind == "exclusion" else self.inclusion).extend(nodes)
        self.notes += [f"{kind} header has no items"] if header and not nodes else []

    def _header(self, kind: str, qualifier: str) -> None:
        if kind in self.headers:
            self.notes.append(f"{kind} header repeated; its items continue the list")
        if qualifier:
            self.notes.append(f"{kind} header is qualified: '{qualifier}'")
        self.headers.append(kind)

    def _marked(self, kind: str, lines: list[Line]) -> list[_Node]:
        lead, nodes, trail = _parse_marked(self.text, lines)
        lead_text = paragraphs(self.text, lead)
        trail_text = [_text(self.text, node) for node in trail]
        self.preamble += lead_text + trail_text
        if lead_text and self.headers:
            self.notes.append(f"{kind} lead-in kept in preamble: '{lead_text[0][:60]}'")
        if trail_text:
            where = f"{kind} item {len(nodes)}"
            self.notes.append(f"text after {where} kept in preamble: '{trail_text[0][:60]}'")
        return nodes

    def record_notes(self) -> list[str]:
        """Findings about the record as a whole, listed before those about single items."""
        if not self.text.strip():
            return ["no eligibility criteria text"]
        out = []
        if self.headless_items:
            out.append(
                "items before the first header treated as inclusion"
                if "inclusion" in self.headers
                else "no inclusion header: items before the exclusion header treated as inclusion"
                if self.headers
                else "no section headers: all items treated as inclusion"
            )
        if "inclusion" not in self.headers and not self.headless_items:
            out.append("no inclusion section")
        if "exclusion" not in self.headers:
            out.append("no exclusion section")
        if not (self.inclusion or self.exclusion):
            out.append("no items found: all text kept in preamble")
        return out


def _items(
    text: str, nodes: list[_Node], prefix: str, path: str, notes: list[str]
) -> tuple[CriterionItem, ...]:
    """Give ``nodes`` their ids by position and say their findings in those terms."""
    kind = "inclusion" if prefix.startswith("I") else "exclusion"
    out = []
    for pos, node in enumerate(nodes, 1):
        ident = f"{prefix}{pos}"
        prev = f"{prefix}{pos - 1}"[1:]
        notes += [
            f.replace("{kind}", kind).replace("{item}", ident[1:]).replace("{prev}", prev)
            for f in node.findings
        ]
        out.append(
            CriterionItem(
                id=ident,
                text=_text(text, node),
                sub_items=_items(text, node.children, f"{ident}.", path, notes),
                source=Source(path=path, quote=text[node.start : node.end]),
            )
        )
    return tuple(out)


def split_criteria(text: str, *, path: str) -> SplitCriteria:
    """Split ``text`` into ordered inclusion and exclusion items; never raises.

    ``path`` is the record path of ``text`` and goes into every item's
    ``Source``. Text that is no item (a lead-in, a closing remark) is kept in
    ``preamble``; every guess made is listed in ``notes``.
    """
    split = _Split(text)
    for header, lines in read_sections(text):
        split.add(header, lines)
    notes = split.record_notes() + split.notes
    return SplitCriteria(
        inclusion=_items(text, split.inclusion, "I", path, notes),
        exclusion=_items(text, split.exclusion, "E", path, notes),
        preamble="\n".join(p for p in split.preamble if p) or None,
        notes=tuple(notes),
    )


def flatten_text(item: CriterionItem) -> str:
    """``item``'s text with its sub-items below it, one per line, indented by depth."""
    subs = (flatten_text(sub).replace("\n", "\n  ") for sub in item.sub_items)
    return "\n".join([item.text, *(f"  - {sub}" for sub in subs)])
