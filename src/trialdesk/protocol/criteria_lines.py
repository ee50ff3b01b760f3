"""Read a registry eligibility text as lines, list markers and section headers.

This is the lexical half of splitting criteria: it says where each line
starts and ends (as offsets into the input, so that items can quote their
source verbatim), which marker a line opens with ("4.", "b)", "•"), what a
label counts as in its list, where the next item runs on inside a line, and
where "Inclusion Criteria:" headers cut the text into sections. It decides
nothing about how items nest; folding lines into items is
:mod:`trialdesk.protocol.criteria`'s work. The two are kept apart so each
stays small enough to read whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from typing import Protocol

__all__ = [
    "DANGLING_RE",
    "Header",
    "Line",
    "Marker",
    "OpenList",
    "clause_lines",
    "clean_text",
    "label_kind",
    "label_value",
    "paragraphs",
    "read_marker",
    "read_sections",
    "run_on",
]

_BREAK_RE = re.compile(r"\r\n|\r|\n")
_SPACE_RE = re.compile(r"\s+")
# CommonMark: a backslash before ASCII punctuation is an escape.
_ESCAPE_RE = re.compile(r"\\([!-/:-@\[-`{-~])")
_TRAILING_DASH_RE = re.compile(r"\s+[-\u2013]$")
_BULLET_RE = re.compile(r"([*+•·▪◦●○■□➢►\u2013-])[ \t]+(?=\S)|-(?=[A-Z][a-z])")
_LABEL_RE = re.compile(r"(\(?)(\d{1,3}|[ivx]{1,6}|[IVX]{1,6}|[a-zA-Z])(\\?[.)])[ \t]+(?=\S)")
_TIGHT_NUMBER_RE = re.compile(r"()(\d{1,3})(\\?\.)(?=[^\W\d_])")
_ROMAN_RE = re.compile(r"(x{0,3})(ix|iv|v?i{0,3})", re.IGNORECASE)
_HEADER_FULL_RE = re.compile(
    r"(?:key\s+)?(?P<kind>inclusion|exclusion)(?P<crit>\s+criteria)?"
    r"(?P<qual>\s+(?:for|in|of)\s[^:\uff1a]{1,60}|\s*\([^:\uff1a]{1,60})?\s*(?P<colon>[:\uff1a])?",
    re.IGNORECASE,
)
_HEADER_DECOR_RE = re.compile(r"^[#*\-•\s]+|\*\*|__|\\(?=[:\uff1a])")
_HEADER_INLINE_RE = re.compile(
    r"(?:\*\*)?(?:key[ \t]+)?(?P<kind>inclusion|exclusion)[ \t]+criteria[ \t]*(?:\*\*)?"
    r"[ \t]*\\?[:\uff1a](?:\*\*)?",
    re.IGNORECASE,
)
_CLAUSE_RE = re.compile(r"\b([a-z]{3,})[ \t]+(?=[A-Z][a-z])")
_SMALL_WORDS = "a|an|the|of|to|in|on|at|by|for|with|from|into|than|as|per|via"
_FUNCTION_WORD_RE = re.compile(rf"(?:{_SMALL_WORDS}|and|or|nor)")
# An item ending on one of these was cut mid-sentence by a stray bullet.
DANGLING_RE = re.compile(rf"\s(?:{_SMALL_WORDS})$")

Header = tuple[str, str]  # kind ("inclusion" | "exclusion"), qualifier


@dataclass(frozen=True, slots=True)
class Line:
    """[start, end) of one input line, trimmed. ``inline``: items may run on in it."""

    start: int
    end: int
    indent: int
    blank_before: bool
    inline: bool = False
    note: str = ""


@dataclass(frozen=True, slots=True)
class Marker:
    """The list marker a line opens with; ``text_start`` is where its item's text begins."""

    bullet: str
    label: str
    delim: str
    text_start: int


class OpenList(Protocol):
    """The list an item was put in, as far as :func:`run_on` needs it."""

    kind: str
    bullet: str
    next: int  # the ordinal its next item would have


def label_kind(label: str) -> str:
    """The kind of list ``label`` opens: "bullet", "num", "alpha_lower", "roman_upper", ..."""
    if not label or label.isdigit():
        return "num" if label else "bullet"
    case = "_lower" if label.islower() else "_upper"
    return ("roman" if len(label) > 1 or label in "iI" else "alpha") + case


def label_value(label: str, kind: str) -> int | None:
    """The ordinal ``label`` stands for in a list of ``kind``; None if it cannot be one."""
    if kind == "num":
        return int(label) if label.isdigit() else None
    if kind == "bullet" or not label or label.islower() != kind.endswith("_lower"):
        return None
    if kind.startswith("alpha"):
        return ord(label.lower()) - 96 if len(label) == 1 and label.isalpha() else None
    m = _ROMAN_RE.fullmatch(label)
    ones = ["", "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix"]
    return None if m is None else 10 * len(m[1]) + ones.index(m[2].lower())


def read_marker(text: str, ln: Line) -> Marker | None:
    """The list marker ``ln`` opens with: a bullet, a label ("4.", "b)", "IV."), or both."""
    pos, bullet = ln.start, ""
    b = _BULLET_RE.match(text, pos, ln.end)
    if b is not None:
        pos, bullet = b.end(), b[1] or "-"
    lab = _LABEL_RE.match(text, pos, ln.end) or _TIGHT_NUMBER_RE.match(text, pos, ln.end)
    good = lab is not None and (not lab[1] or lab[3].endswith(")"))
    if lab is not None and good and label_value(lab[2], label_kind(lab[2])) is not None:
        return Marker(bullet, lab[2], lab[3], lab.end())
    return Marker(bullet, "", "", pos) if bullet else None


def clean_text(raw: str) -> str:
    """``raw`` unescaped, its white space folded, and a dangling dash at its end dropped."""
    text = _SPACE_RE.sub(" ", _ESCAPE_RE.sub(r"\1", raw)).strip()
    return _TRAILING_DASH_RE.sub("", text)


def _lines(text: str) -> list[Line]:
    """Non-blank lines with their indent and whether a blank line came before."""
    out: list[Line] = []
    prev_end, one_line = 0, _BREAK_RE.search(text) is None
    for m in re.finditer(r"[^\r\n]+", text):
        body = m[0]
        if body.strip():
            lead = len(body) - len(body.lstrip())
            blank = len(_BREAK_RE.findall(text, prev_end, m.start())) >= 2
            width = sum(4 if c == "\t" else 1 for c in body[:lead])
            end = m.start() + len(body.rstrip())
            out.append(Line(m.start() + lead, end, width, blank, one_line))
            prev_end = m.end()
    return out


def _sub(text: str, ln: Line, start: int, end: int, *, inline: bool) -> list[Line]:
    """The part [start, end) of ``ln`` as a line of its own, trimmed; [] if blank."""
    part = text[start:end]
    if not part.strip():
        return []
    start += len(part) - len(part.lstrip())
    end = start + len(part.strip())
    return [Line(start, end, ln.indent, ln.blank_before and start == ln.start, inline)]


def _header_line(text: str, ln: Line) -> Header | None:
    """``ln`` as a whole-line header ("**Key Inclusion Criteria:**", any colon), if it is one."""
    m = _HEADER_FULL_RE.fullmatch(_HEADER_DECOR_RE.sub("", text[ln.start : ln.end]).strip())
    if m is None or not (m["crit"] or m["colon"]) or (m["qual"] and not m["colon"]):
        return None
    return m["kind"].lower(), clean_text(m["qual"] or "")


def _inline_header_ok(text: str, m: re.Match[str], ln: Line) -> bool:
    """A header inside a line counts after a sentence end, or anywhere in a one-line record."""
    if m.start() == ln.start:
        return True
    before = text[ln.start : m.start()]
    capital = text[m.start() : m.end()].lstrip("*")[:1].isupper()
    sentence_end = before.rstrip()[-1:] in ".;:!?)"
    return capital and before[-1:].isspace() and (ln.inline or sentence_end)


def _split_headers(text: str, ln: Line) -> list[Line | Header]:
    header = _header_line(text, ln)
    if header is not None:
        return [header]
    out: list[Line | Header] = []
    pos, inline = ln.start, ln.inline
    for m in _HEADER_INLINE_RE.finditer(text, ln.start, ln.end):
        if _inline_header_ok(text, m, ln):
            out += _sub(text, ln, pos, m.start(), inline=inline)
            out.append((m["kind"].lower(), ""))
            pos, inline = m.end(), True
    return out + _sub(text, ln, pos, ln.end, inline=inline)


def read_sections(text: str) -> list[tuple[Header | None, list[Line]]]:
    """Group lines under the header before them; lines before any header get ``None``."""
    sections: list[tuple[Header | None, list[Line]]] = [(None, [])]
    for ln in _lines(text):
        for token in _split_headers(text, ln):
            if isinstance(token, tuple):
                sections.append((token, []))
            else:
                sections[-1][1].append(token)
    return sections


def paragraphs(text: str, lines: list[Line]) -> list[str]:
    """The cleaned text of ``lines``, one string per run of lines between blank lines."""
    groups: list[list[Line]] = []
    for ln in lines:
        if ln.blank_before or not groups:
            groups.append([])
        groups[-1].append(ln)
    return [clean_text(" ".join(text[ln.start : ln.end] for ln in g)) for g in groups]


def clause_lines(text: str, line: Line) -> list[Line]:
    """``line`` trimmed and, where items may run on in it (a one-line record), cut into clauses.

    The cut falls before a capitalised word that follows a content word
    ("... negative biopsy No major comorbidities ..."), never after "of", "and", ...
    """
    found = _CLAUSE_RE.finditer(text, line.start, line.end) if line.inline else iter(())
    cuts = [m.end() for m in found if not _FUNCTION_WORD_RE.fullmatch(m[1])]
    bounds = [line.start, *cuts, line.end]
    return [p for s, e in pairwise(bounds) for p in _sub(text, line, s, e, inline=True)]


def run_on(text: str, lst: OpenList, ln: Line, start: int, end: int) -> re.Match[str] | None:
    """Where the next item of ``lst`` starts inside [start, end), if it runs on there.

    In a multi-line record only "... 3 months. 6. Hematological" counts: the
    next number, after a sentence end, before a capital; never "≥5 years",
    "1.5 x ULN" or "Grade 2.". A one-line record also cuts at its bullet.
    """
    if lst.kind == "num" and not lst.bullet:
        strict = ("", r"(?=\S)") if ln.inline else (r"(?<=\.)", r"(?=[A-Z])")
        pattern = rf"{strict[0]}[ \t]+({lst.next}\\?[.)])[ \t]+{strict[1]}"
    elif lst.kind == "bullet" and ln.inline:
        pattern = rf"[ \t]+({re.escape(lst.bullet)})[ \t]+(?=\S)"
    else:
        return None
    cuts = re.compile(pattern).finditer(text, start, end)
    # "age 18 - 65" is a range, not two items.
    return next((c for c in cuts if not (text[c.start() - 1] + text[c.end()]).isdigit()), None)
