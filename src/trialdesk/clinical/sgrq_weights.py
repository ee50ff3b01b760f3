"""The item weights of the original 50-item SGRQ, as typed data with their provenance.

Source of record: P. W. Jones, Y. Forde, *St George's Respiratory Questionnaire
Manual*, version 2.3 (June 2009), St George's, University of London, section 7
"Item weights" (pp. 8-11) and section 8 "Outline of scoring algorithm"
(pp. 12-13). The weights are the empirical ones of Quirk & Jones,
Clin Sci 1990;79:17-21 and Jones et al., Am Rev Respir Dis 1992;145:1321-7.
The manual's component maxima are Symptoms 662.5, Activity 1209.1,
Impacts 2117.8 and Total 3989.4.

The manual itself is licensed; only the table of contents of a stored copy was
readable here, so every number below was transcribed by hand (no generator
script) from four public scorers and cross-checked against those maxima
(``tests/unit/clinical/test_sgrq.py`` asserts that each maximum is the sum of
its items' largest weights). Retrieved 2026-11-24:

* ``CPHCRD/sgrq`` ``src/index.json`` @ 0f1145d0f91d5adb15683adcaaa90ddae0562921
  (JavaScript scoring app; also the per-component missing-item limits 2/4/6);
* ``nrkoehler/sgrqr`` ``data/SGRQ_regweights.xlsx`` @ 9f32b4e53a3768295262f41b76b1d0a029a2fc61
  (R package ``sgrqr``);
* ``USR-DAPCAT/StGeorge`` ``R/ST_George.R`` @ 32ed17de657a825debe733e5e915b0a13cad9dd4
  (R package ``StGeorge``);
* ``giulianoconti/SGRQ`` ``src/constants/questionnaireData.ts``
  @ c6c8b9df734c87df2b39637c128da63cc29d50d8 (Spanish-language app).

Where they disagree (every other weight is identical in all four):

* Q11g (breathless playing sports): 72.1 in three sources, 72.0 in ``StGeorge``.
  Kept 72.1: it is the item's largest weight, and only 72.1 makes Activity
  sum to the manual's 1209.1 (72.0 gives 1209.0).
* Q13h (everything an effort): 84.5 in three sources, 84.4 in ``sgrqr``.
  Kept 84.5: a largest weight again; only 84.5 makes Impacts 2117.8
  (84.4 gives 2117.7).
* Q5 code 4 (one severe attack): 44.2 in three sources, 44.4 in ``sgrqr``.
  Not a largest weight, so the maxima cannot decide; kept 44.2, on which the three
  other sources agree.
* Q9 code 3 (a few problems): 34.6 in three sources, 34.5 in ``giulianoconti/SGRQ``.
  Not a largest weight either; kept 34.6 by the same agreement.

Item wording is copyrighted: only item ids and short paraphrased labels are kept.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "COMPONENT_MAXIMA",
    "MAX_MISSING",
    "SGRQ_ITEMS",
    "TOTAL_MAXIMUM",
    "Component",
    "SgrqItem",
]


class Component(enum.StrEnum):
    """The three SGRQ components; each item belongs to exactly one."""

    SYMPTOMS = "symptoms"
    ACTIVITY = "activity"
    IMPACTS = "impacts"


@dataclass(frozen=True, slots=True)
class SgrqItem:
    """One questionnaire item: its id, a short label, its component and its weights.

    ``weights`` pairs every valid response code with its weight, in the
    questionnaire's order of options (see the coding contract in
    :mod:`trialdesk.clinical.sgrq`).
    """

    item_id: str
    label: str
    component: Component
    weights: tuple[tuple[int, float], ...]

    @property
    def codes(self) -> tuple[int, ...]:
        """The valid response codes."""
        return tuple(code for code, _ in self.weights)

    @property
    def max_weight(self) -> float:
        """The weight of the worst response: what the item adds to the denominator."""
        return max(weight for _, weight in self.weights)

    def weight_of(self, code: int) -> float:
        """The weight of response ``code`` (a :class:`KeyError` when it is not valid)."""
        return dict(self.weights)[code]


_S, _A, _I = Component.SYMPTOMS, Component.ACTIVITY, Component.IMPACTS


def _choice(item_id: str, label: str, component: Component, *weights: float) -> SgrqItem:
    """A single-choice item coded 1..n in the order of its options."""
    return SgrqItem(item_id, label, component, tuple(enumerate(weights, start=1)))


def _true(item_id: str, label: str, component: Component, weight: float) -> SgrqItem:
    """A true/false (or no/yes) item coded 1 = true, 0 = false; only true carries weight."""
    return SgrqItem(item_id, label, component, ((0, 0.0), (1, weight)))


# Q1-Q4 options: most days a week, several days a week, a few days a month,
# only with chest infections, not at all.
_PART_1 = (
    _choice("q1", "cough", _S, 80.6, 63.2, 29.3, 28.1, 0.0),
    _choice("q2", "phlegm", _S, 76.8, 60.0, 34.0, 30.2, 0.0),
    _choice("q3", "shortness of breath", _S, 87.2, 71.4, 43.7, 35.7, 0.0),
    _choice("q4", "attacks of wheezing", _S, 86.2, 71.0, 45.6, 36.4, 0.0),
    # more than 3, 3, 2, 1, no attacks
    _choice("q5", "severe attacks", _S, 86.7, 73.5, 60.3, 44.2, 0.0),
    # a week or more, 3 or more days, 1 or 2 days, less than a day
    _choice("q6", "worst attack duration", _S, 89.7, 73.5, 58.8, 41.9),
    # good days in an average week: none, 1 or 2, 3 or 4, nearly every day, every day
    _choice("q7", "good days", _S, 93.3, 76.6, 61.5, 15.4, 0.0),
    _true("q8", "wheeze worse in the morning", _S, 62.0),
)

_PART_2_SINGLE = (
    # most important problem, quite a lot of problems, a few problems, no problem
    _choice("q9", "chest condition", _I, 83.2, 82.5, 34.6, 0.0),
    # made me stop work, interferes with or changed my work, does not affect my work
    _choice("q10", "paid employment", _I, 88.9, 77.6, 0.0),
    # stops me doing: nothing, one or two things, most things, everything
    _choice("q17", "how chest affects you", _I, 0.0, 42.0, 84.2, 96.7),
)

_TRUE_FALSE: tuple[tuple[str, Component, tuple[tuple[str, float], ...]], ...] = (
    (
        "q11",
        _A,
        (
            ("breathless sitting or lying still", 90.6),
            ("breathless washing or dressing", 82.8),
            ("breathless walking in the home", 80.2),
            ("breathless walking outside on the level", 81.4),
            ("breathless on a flight of stairs", 76.1),
            ("breathless walking up hills", 75.1),
            ("breathless playing sports or games", 72.1),
        ),
    ),
    (
        "q12",
        _I,
        (
            ("cough hurts", 81.1),
            ("cough makes me tired", 79.1),
            ("breathless when talking", 84.5),
            ("breathless bending over", 76.8),
            ("cough or breathing disturbs sleep", 87.9),
            ("exhausted easily", 84.0),
        ),
    ),
    (
        "q13",
        _I,
        (
            ("embarrassed in public", 74.1),
            ("nuisance to family or friends", 79.1),
            ("panic when breathless", 87.7),
            ("chest not in control", 90.1),
            ("no expectation of improvement", 82.3),
            ("frail or an invalid", 89.9),
            ("exercise not safe", 75.7),
            ("everything an effort", 84.5),
        ),
    ),
    (
        "q14",
        _I,
        (
            ("medication does not help much", 88.2),
            ("embarrassed using medication in public", 53.9),
            ("medication side effects", 81.1),
            ("medication interferes with life", 70.3),
        ),
    ),
    (
        "q15",
        _A,
        (
            ("slow washing or dressing", 74.2),
            ("cannot bath or shower, or slow", 81.0),
            ("walk slower or stop for rests", 71.7),
            ("housework slow or stop for rests", 70.6),
            ("slow or stop on one flight of stairs", 71.6),
            ("stop or slow down when hurrying", 72.3),
            ("difficulty with light exertion", 74.5),
            ("difficulty with moderate exertion", 71.4),
            ("difficulty with heavy exertion", 63.5),
        ),
    ),
    (
        "q16",
        _I,
        (
            ("cannot play sports or games", 64.8),
            ("cannot go out for entertainment", 79.8),
            ("cannot go out shopping", 81.0),
            ("cannot do housework", 79.1),
            ("cannot move far from bed or chair", 94.0),
        ),
    ),
)

_PART_2_TRUE_FALSE = tuple(
    _true(f"{question}{letter}", label, component, weight)
    for question, component, rows in _TRUE_FALSE
    for letter, (label, weight) in zip("abcdefghi", rows, strict=False)
)

SGRQ_ITEMS: MappingProxyType[str, SgrqItem] = MappingProxyType(
    {item.item_id: item for item in (*_PART_1, *_PART_2_SINGLE, *_PART_2_TRUE_FALSE)}
)
"""All 50 items by id (``q1`` ... ``q10``, ``q11a`` ... ``q16e``, ``q17``)."""

COMPONENT_MAXIMA: MappingProxyType[Component, float] = MappingProxyType(
    {Component.SYMPTOMS: 662.5, Component.ACTIVITY: 1209.1, Component.IMPACTS: 2117.8}
)
"""The manual's maximum weight of each component (manual 2.3, section 8)."""

TOTAL_MAXIMUM = 3989.4
"""The manual's maximum weight of the whole questionnaire (manual 2.3, section 8)."""

MAX_MISSING: MappingProxyType[Component, int] = MappingProxyType(
    {Component.SYMPTOMS: 2, Component.ACTIVITY: 4, Component.IMPACTS: 6}
)
"""The most missing items a component tolerates and is still scored (manual 2.3, section 8)."""
