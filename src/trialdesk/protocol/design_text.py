"""The escalation design, its options and the DLT window, read from free text.

A registry record names its design in prose ("a standard 3+3 dose-escalation
design", "the Time-To-Event Continual Reassessment Method") and rarely spells
out every rule. For 3+3 the dose-finding engine needs six questions answered;
each becomes a :class:`DesignOption` that either quotes the sentence stating it
or says that a default was taken and why, so the caller can list each default
as an assumption for review. A DLT window is read only from a sentence about
DLTs, so a follow-up period or a dosing schedule never becomes one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from trialdesk.protocol.provenance import Source

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["DesignOption", "DesignSpec", "DltWindow", "parse_design", "parse_dlt_window"]


class DesignOption(BaseModel):
    """One named rule of a design: stated by the record (quoted) or a default taken."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    value: bool | int | str
    default_taken: bool
    reason: str
    source: Source | None = None


class DesignSpec(BaseModel):
    """The escalation design a record names; ``name`` is None when it names none."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = None
    source: Source | None = None
    cohort_size: int | None = None
    options: tuple[DesignOption, ...]
    rules_as_written: tuple[Source, ...]


class DltWindow(BaseModel):
    """How many days after the first dose a toxicity can count as a DLT."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    days: int
    source: Source


@dataclass(frozen=True)
class _Sentence:
    path: str
    text: str

    def source(self) -> Source:
        return Source(path=self.path, quote=self.text)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'\[\\])|\s*\n\s*")


def _sentences(texts: Sequence[tuple[str, str]]) -> list[_Sentence]:
    """Sentences and lines of each text, each a verbatim substring of it."""
    return [
        _Sentence(path, part.strip())
        for path, text in texts
        for part in _SENTENCE_END.split(text)
        if part.strip()
    ]


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# Most specific first: "TITE-CRM" before "CRM", "i3+3" and "mTPI-2" before their kin.
_DESIGNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "TITE-CRM",
        _rx(r"\bTITE[-\s]?CRM\b|time[-\s]to[-\s]event\s+(?:\w+\s+){0,3}continual\s+reass"),
    ),
    ("i3+3", _rx(r"\bi3\s*\+\s*3\b")),
    ("mTPI-2", _rx(r"\bmTPI[-\s]?2\b|modified\s+toxicity\s+probability\s+interval[-\s]?2")),
    ("mTPI", _rx(r"\bmTPI\b(?![-\s]?2)|modified\s+toxicity\s+probability\s+interval\b(?![-\s]?2)")),
    ("BOIN", _rx(r"\bBOIN\b|bayesian\s+optimal\s+interval")),
    ("Keyboard", _rx(r"\bkeyboard\s+(?:design|method)")),
    ("BLRM", _rx(r"\bBLRM\b|bayesian\s+logistic\s+regression\s+model")),
    ("CRM", _rx(r"(?<![-\w])CRM\b|continual\s+reassessment\s+method")),
    ("accelerated titration", _rx(r"\baccelerated\s+titration")),
    ("rolling six", _rx(r"\brolling[-\s]+(?:six|6)\b")),
    ("3+3", _rx(r"(?<![\w+])3\s*\+\s*3(?!\s*\+|\s*[0-9])|\bthree[-\s]plus[-\s]three\b")),
)
_MORE_SPECIFIC = {"CRM": "TITE-CRM", "mTPI": "mTPI-2"}  # "TITE-CRM (time-to-event CRM)"
_CONTRAST = _rx(
    r"\b(?:unlike|instead\s+of|rather\s+than|compared\s+(?:with|to)|versus|vs\.?|than)"
    r"\s+(?:[\w\"'-]+\W+){0,3}$"
)
_DESIGN_CONTEXT = _rx(r"design|escalat|rule|scheme|method|approach|cohort|\bdose")
_DLT = _rx(r"\bDLTs?\b|dose[-\s]limiting")
_ACTION = _rx(
    r"escalat|expand|\bMTD\b|maximum\s+tolerated\s+dose|\bstop|enrol|\badditional\s+"
    r"(?:subjects|patients|participants)|\b(?:three|3)\s+more\b"
)
_TRIGGER = _rx(r"\bDLTs?\b|dose[-\s]limiting|\bcohorts?\b")
_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_N_WORD = r"(?P<n>[0-9]{1,2}|one|two|three|four|five|six)"
_PEOPLE = r"(?:\w+\s+)?(?:subjects|patients|participants)"
_COHORT_SIZE = (
    _rx(rf"(?<!expanded\sto\sa\s)\bcohorts?\s+of\s+{_N_WORD}\s+{_PEOPLE}"),
    _rx(rf"\b{_N_WORD}\s+{_PEOPLE}\s+(?:per|in\s+each|each)\s+cohort"),
)
_LEVEL_MINUS_ONE = _rx(r"(?:dose\s+level|\bDL|\blevel)\s*[-\u2212]\s*1\b")


def _design_name(sentences: Sequence[_Sentence]) -> tuple[str, Source] | None:
    """The first design named, skipping names given only as a contrast ("unlike 3+3")."""
    for sentence in sentences:
        hits = [
            (match.start(), -len(match.group(0)), name)
            for name, pattern in _DESIGNS
            for match in pattern.finditer(sentence.text)
            if not _CONTRAST.search(sentence.text[: match.start()])
        ]
        named = {hit[2] for hit in hits}
        hits = [hit for hit in hits if _MORE_SPECIFIC.get(hit[2]) not in named]
        if hits and (min(hits)[2] != "3+3" or _DESIGN_CONTEXT.search(sentence.text)):
            return min(hits)[2], sentence.source()
    return None


def _cohort_size(sentences: Sequence[_Sentence]) -> int | None:
    for sentence in sentences:
        for pattern in _COHORT_SIZE:
            match = pattern.search(sentence.text)
            if match:
                written = match["n"].lower()
                return _WORD_NUMBERS.get(written) or int(written)
    return None


@dataclass(frozen=True)
class _Rule:
    """A sentence stating an option: every ``needs`` pattern matches it."""

    value: bool | str
    needs: tuple[re.Pattern[str], ...]
    reason: str


@dataclass(frozen=True)
class _Option:
    name: str
    rules: tuple[_Rule, ...]  # tried in order on each sentence
    default: bool | str
    default_reason: str


_TOXIC = _rx(r"\bDLTs?\b|dose[-\s]limiting|toxic|\bMTD\b|exceed|not\s+tolerated")
_MORE = _rx(
    r"\b(?:three|3)\s+(?:more|additional|further)\b|\badditional\s+(?:three|3)\b|expand"
    r"|\b(?:six|6)\s+(?:\w+\s+)?(?:subjects|patients|participants)"
)
_MTD = _rx(r"\bMTD\b|maximum\s+tolerated\s+dose|\bRP2D\b")
_LOWER = _rx(r"(?:lower|previous|preceding|prior)\s+dose")
_TOP = _rx(
    r"(?:top|highest\s+planned|highest\s+pre-?specified|maximum\s+planned|last|final)\s+dose"
    r"|\bat\s+the\s+highest\s+dose"
)
_EVALUABLE = _rx(
    r"evaluable|drop\w*\s*out|withdr|discontinu|(?:did|do)\s+not\s+complete|fail\w*\s+to\s+complete"
)
_ZERO_OF_THREE = _rx(r"\b0\s*(?:/|out\s+of|of)\s*3\b|\bzero\s+(?:out\s+)?of\s+three\b")
_UNDER_TWO_OF_SIX = _rx(
    r"(?:less|fewer)\s+than\s+(?:2|two)\s+(?:\w+\s+)?(?:out\s+of|of|in|among)\s+(?:6|six)\b"
    r"|(?:≤|<=|at\s+most|no\s+more\s+than)\s*(?:1|one)\s+(?:\w+\s+)?(?:out\s+of|of|in|among)\s+(?:6|six)\b"
    r"|(?:<\s*2|≤\s*1|<=\s*1)\s*/\s*6\b|\b(?:0|zero|no)\s+or\s+(?:1|one)\s+(?:\w+\s+){0,2}"
    r"(?:out\s+of|of|in|among)\s+(?:6|six)\b|(?:at\s+least|a\s+minimum\s+of)\s+(?:6|six)\s+"
    r"(?:\w+\s+){0,2}(?:subjects|patients|participants)"
)
_STORER = "classical 3+3 (Storer 1989)"
_OPTIONS: tuple[_Option, ...] = (
    _Option(
        "deescalate",
        (
            _Rule(
                False,
                (_rx(r"\b(?:no|not|never|without)\s+(?:\w+\s+){0,2}de-?escalat"),),
                "the record states that the dose is not de-escalated",
            ),
            _Rule(
                True,
                (_rx(r"de-?escalat|next\s+lower\s+dose|lower\s+dose\s+level"), _TOXIC),
                "the record states moving to a lower dose when a dose is too toxic",
            ),
        ),
        True,
        f"the record states no de-escalation rule; {_STORER} treats the next lower dose "
        "when a dose has 2 or more DLTs",
    ),
    _Option(
        "lower_zero_of_three",
        (
            _Rule(
                "stop",
                (_LOWER, _MTD, _rx(r"without\s+(?:further\s+)?expan")),
                "the record declares the lower dose the MTD without expanding it",
            ),
            _Rule(
                "expand",
                (_LOWER, _MORE),
                "the record states that more subjects are treated at the lower dose",
            ),
        ),
        "expand",
        "the record does not say what happens at a dose with 0/3 once the dose above is too "
        f"toxic; {_STORER} treats 3 more there before declaring it the MTD",
    ),
    _Option(
        "expand_top",
        (_Rule(True, (_TOP, _MORE), "the record states that the top dose is expanded"),),
        False,
        "the record does not say whether a top dose with 0/3 gets 3 more subjects before it is "
        "declared the MTD; the default takes the top dose as the MTD candidate without them",
    ),
    _Option(
        "mtd_requires_six",
        (
            _Rule(False, (_MTD, _ZERO_OF_THREE), "the record accepts an MTD after 0 of 3 subjects"),
            _Rule(
                True,
                (_MTD, _UNDER_TWO_OF_SIX),
                "the record defines the MTD by a DLT rate out of 6 subjects, so a dose holds "
                "6 before it is the MTD",
            ),
        ),
        True,
        "the record does not say how many subjects a dose needs before it is the MTD; "
        f"{_STORER} expands a dose to 6 before declaring it the MTD",
    ),
    _Option(
        "replace_non_evaluable",
        (
            _Rule(
                False,
                (_rx(r"not\s+(?:be\s+)?replaced|no\s+replacement"), _EVALUABLE),
                "the record states that non-evaluable subjects are not replaced",
            ),
            _Rule(
                True,
                (_rx(r"replac"), _EVALUABLE),
                "the record states that non-evaluable subjects are replaced",
            ),
        ),
        True,
        "the record does not say whether subjects not evaluable for DLT are replaced; 3+3 "
        "decisions count evaluable subjects, so they are replaced to fill the cohort",
    ),
    _Option(
        "sentinel_dosing",
        (
            _Rule(
                False,
                (_rx(r"\b(?:no|not|without)\s+(?:be\s+)?(?:sentinel|stagger)"),),
                "the record states that dosing within a cohort is not staggered",
            ),
            _Rule(
                True,
                (
                    _rx(
                        r"sentinel|stagger|\b[0-9]+\s*(?:hours?|days?|weeks?)\s+apart\b"
                        r"|one\s+(?:patient|subject|participant)\s+at\s+a\s+time"
                    ),
                    _rx(r"dos|infus|treat|administ|enrol"),
                ),
                "the record states sentinel or staggered dosing within a cohort",
            ),
        ),
        False,
        "the record does not mention sentinel or staggered dosing, so the subjects of a cohort "
        "are dosed without a stagger",
    ),
)


def _read_option(option: _Option, sentences: Sequence[_Sentence]) -> DesignOption | None:
    for sentence in sentences:
        for rule in option.rules:
            if all(pattern.search(sentence.text) for pattern in rule.needs):
                return DesignOption(
                    name=option.name,
                    value=rule.value,
                    default_taken=False,
                    reason=rule.reason,
                    source=sentence.source(),
                )
    return None


def _default(option: _Option, sentences: Sequence[_Sentence]) -> DesignOption:
    reason = option.default_reason
    lower = next((s for s in sentences if _LEVEL_MINUS_ONE.search(s.text)), None)
    if option.name == "deescalate" and lower is not None:
        reason = (
            f"the record lists a dose level -1 ({lower.path}) but states no de-escalation "
            f"rule; {_STORER} treats the next lower dose when a dose has 2 or more DLTs"
        )
    return DesignOption(
        name=option.name, value=option.default, default_taken=True, reason=reason, source=None
    )


def _three_plus_three_options(sentences: Sequence[_Sentence]) -> tuple[DesignOption, ...]:
    return tuple(_read_option(o, sentences) or _default(o, sentences) for o in _OPTIONS)


def parse_design(texts: Sequence[tuple[str, str]]) -> DesignSpec:
    """Read the named escalation design, its cohort size and, for 3+3, its options.

    The option names (``deescalate``, ``lower_zero_of_three``, ``expand_top``,
    ``mtd_requires_six``, ``replace_non_evaluable``, ``sentinel_dosing``) are a
    contract with the dose-finding engine. ``rules_as_written`` quotes every
    sentence that reads as an escalation rule, for a reviewer to check against.
    """
    sentences = _sentences(texts)
    named = _design_name(sentences)
    rules = tuple(
        s.source() for s in sentences if _ACTION.search(s.text) and _TRIGGER.search(s.text)
    )
    cohort_size = _cohort_size(sentences)
    is_3_3 = named is not None and named[0] == "3+3"
    return DesignSpec(
        name=named[0] if named else None,
        source=named[1] if named else None,
        cohort_size=3 if is_3_3 and cohort_size is None else cohort_size,
        options=_three_plus_three_options(sentences) if is_3_3 else (),
        rules_as_written=rules,
    )


_N_UNIT = r"(?P<n>[0-9]{1,3})[-\s]*(?P<unit>days?|weeks?)\b"
_WINDOW_STRONG = (
    _rx(
        r"(?:DLT|toxicity)\s+(?:(?:evaluation|observation|assessment)\s+)?(?:period|window)\s*"
        rf"(?:of|is|will\s+be|lasts|:|=)?\s*(?:the\s+first\s+)?{_N_UNIT}"
    ),
    _rx(rf"{_N_UNIT}\s+(?:DLT|dose[-\s]limiting\s+toxicity)\s+(?:\w+\s+)?(?:period|window)"),
    _rx(rf"\bfirst\s+{_N_UNIT}"),
    _rx(rf"\b(?:first\s+cycle|cycle\s+1)\s*\(\s*{_N_UNIT}\s*\)"),
    _rx(
        r"\b(?:first\s+cycle|cycle\s+1)\s*\(\s*days?\s*1\s*(?:-|\u2013|to|through)\s*"
        r"(?P<n>[0-9]{1,3})\s*\)"
    ),
)
_WINDOW_WEAK = (
    _rx(rf"\b(?:within|during|over|up\s+to|through)\s+(?:the\s+)?{_N_UNIT}"),
    _rx(r"\b(?:through|until|up\s+to)\s+day\s+(?P<n>[0-9]{1,3})\b"),
)
# "grade 3 not resolving within 7 days" is part of a DLT definition, not its window.
_DURATION_BEFORE = _rx(
    r"(?:resolv|recover|persist|last|duration|improv|return)\w*\s+(?:[\w\u2264<>=]+\s+){0,4}$"
)


def _window_in(sentence: _Sentence, patterns: Sequence[re.Pattern[str]]) -> DltWindow | None:
    for pattern in patterns:
        for match in pattern.finditer(sentence.text):
            if _DURATION_BEFORE.search(sentence.text[: match.start()]):
                continue
            unit = (match.groupdict().get("unit") or "days").lower()
            days = int(match["n"]) * (7 if unit.startswith("week") else 1)
            if days > 0:
                return DltWindow(days=days, source=sentence.source())
    return None


def parse_dlt_window(texts: Sequence[tuple[str, str]]) -> DltWindow | None:
    """The DLT window in days, from a sentence that ties the number to DLTs.

    An explicit statement ("28-day DLT observation period", "during the first 29
    days", "first cycle (21 days)") wins over a bare "within 14 days"; weeks
    count 7 days. None when no DLT sentence states a number of days or weeks.
    """
    about_dlt = [s for s in _sentences(texts) if _DLT.search(s.text)]
    for patterns in (_WINDOW_STRONG, _WINDOW_WEAK):
        for sentence in about_dlt:
            window = _window_in(sentence, patterns)
            if window is not None:
                return window
    return None
