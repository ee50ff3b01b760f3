"""St George's Respiratory Questionnaire (original 50 items): component and Total scores.

Algorithm (SGRQ manual 2.3, Jones & Forde 2009, section 8): for each component
(and for the Total, over all items)::

    score = 100 * sum(weights of the responses given)
                / sum(largest possible weight of every item answered)

so a score runs from 0 (no impairment) to 100 (worst). Weights and their
provenance are in :mod:`trialdesk.clinical.sgrq_weights`.

Missing items (manual 2.3, section 8): a missing item's largest weight leaves the
denominator of its component and of the Total. Symptoms is not scored with more
than 2 missing items, Activity with more than 4, Impacts with more than 6; the
Total is scored only when all three components are. Public scorers differ here:
``nrkoehler/sgrqr`` (``R/scoring.R``) imputes a missing item's *largest* weight
and keeps the full denominator, ``USR-DAPCAT/StGeorge`` (``R/ST_George.R``)
scores missing single-choice items as 0 with the full denominator, and ``sgrqr``
scores the Total whenever at most 12 items are missing. Both bias the score
(towards 100 and towards 0); the manual's rule, followed by ``CPHCRD/sgrq``
(``src/app/components/questionnaire.js``), removes the item instead.

Q5/Q6 skip: the questionnaire tells a respondent with no severe attacks (Q5 =
"no attacks") to go straight to Q7. Q6 is then *skipped*, not missing: its weight
(89.7) leaves the Symptoms and Total denominators, and it does not count towards
the 2-item limit. This is the lead's reading of the manual; the licensed manual
text could not be checked here (``StGeorge`` instead scores a skipped Q6 as 0
and keeps 89.7 in the denominator), see :attr:`SgrqScore.q6_skipped`.

Response coding (the contract for input files): Q1-Q5 and Q7 are 1-5 in the
questionnaire's order of options, Q6 1-4 or ``"NA"`` (only when Q5 = 5), Q8
0 = no / 1 = yes, Q9 1-4, Q10 1-3, Q17 1-4, every true/false item (Q11a-g,
Q12a-f, Q13a-h, Q14a-d, Q15a-i, Q16a-e) 1 = true / 0 = false; a missing item is
absent or ``None``. Anything else is refused with :class:`SgrqInputError`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal, TypeAlias

from trialdesk.clinical.errors import ClinicalInputError
from trialdesk.clinical.sgrq_weights import (
    MAX_MISSING,
    SGRQ_ITEMS,
    Component,
    SgrqItem,
)

__all__ = [
    "NOT_APPLICABLE",
    "ComponentScore",
    "SgrqInputError",
    "SgrqResponses",
    "SgrqScore",
    "compute_sgrq",
    "parse_sgrq_responses",
]

NOT_APPLICABLE: Final = "NA"
"""The Q6 code for "skipped because Q5 = no attacks"."""

_NO_ATTACKS: Final = 5
"""Q5's code for "no attacks"."""

Code: TypeAlias = int | Literal["NA"] | None
"""A parsed response: a valid code, ``"NA"`` (Q6 only) or ``None`` (missing)."""


class SgrqInputError(ClinicalInputError):
    """An SGRQ response that is not a valid code: names the item, the value, what was expected."""


@dataclass(frozen=True, slots=True)
class SgrqResponses:
    """Validated responses: every one of the 50 item ids mapped to its code or ``None``.

    Build it with :func:`parse_sgrq_responses`; Q6 may hold :data:`NOT_APPLICABLE`.
    """

    codes: MappingProxyType[str, Code]

    @property
    def q6_skipped(self) -> bool:
        """Q6 does not apply: the respondent had no severe attacks (Q5 = 5)."""
        return self.codes["q5"] == _NO_ATTACKS


@dataclass(frozen=True, slots=True)
class ComponentScore:
    """One component's score with the sums and counts it came from.

    ``score`` is ``None`` when the component is not scored; ``reason`` then says why.
    ``weight`` and ``possible`` are the numerator and denominator of the manual's
    formula (before the factor 100).
    """

    component: Component
    score: float | None
    missing: int
    weight: float
    possible: float
    reason: str | None


@dataclass(frozen=True, slots=True)
class SgrqScore:
    """The SGRQ result: three components and the Total, 0 (best) to 100 (worst).

    A score of ``None`` means "not scored"; :attr:`reasons` gives the reason.
    ``q6_skipped`` records that Q6 was left out of the denominators because Q5 =
    "no attacks" (not counted as missing).
    """

    components: tuple[ComponentScore, ComponentScore, ComponentScore]
    total: float | None
    total_reason: str | None
    q6_skipped: bool
    algorithm: Literal["SGRQ"] = "SGRQ"
    version: Literal["manual 2.3"] = "manual 2.3"

    @property
    def symptoms(self) -> float | None:
        """The Symptoms score (Q1-Q8)."""
        return self.components[0].score

    @property
    def activity(self) -> float | None:
        """The Activity score (Q11, Q15)."""
        return self.components[1].score

    @property
    def impacts(self) -> float | None:
        """The Impacts score (Q9, Q10, Q12-Q14, Q16, Q17)."""
        return self.components[2].score

    @property
    def missing(self) -> dict[str, int]:
        """The number of missing items per component (a skipped Q6 is not missing)."""
        return {part.component.value: part.missing for part in self.components}

    @property
    def reasons(self) -> dict[str, str]:
        """Why each unscored component (and the Total) was not scored."""
        found = {part.component.value: part.reason for part in self.components}
        found["total"] = self.total_reason
        return {name: reason for name, reason in found.items() if reason is not None}


def parse_sgrq_responses(raw: Mapping[str, object]) -> SgrqResponses:
    """Check every response code against the coding contract (module docstring).

    Raises:
        SgrqInputError: an unknown item id, a code of the wrong type or out of
            range, or a Q6 that contradicts Q5.
    """
    for key in raw:
        if key not in SGRQ_ITEMS:
            raise SgrqInputError(str(key), raw[key], "one of the SGRQ item ids q1 ... q17")
    codes: dict[str, Code] = {
        item_id: _parse_code(item, raw.get(item_id)) for item_id, item in SGRQ_ITEMS.items()
    }
    _check_skip(codes)
    return SgrqResponses(MappingProxyType(codes))


def _parse_code(item: SgrqItem, value: object) -> Code:
    if value is None:
        return None
    if item.item_id == "q6" and value == NOT_APPLICABLE:
        return NOT_APPLICABLE
    if isinstance(value, int) and not isinstance(value, bool) and value in item.codes:
        return value
    allowed = ", ".join(str(code) for code in item.codes)
    extra = ' or "NA"' if item.item_id == "q6" else ""
    raise SgrqInputError(item.item_id, value, f"an integer code in {{{allowed}}}{extra} or null")


def _check_skip(codes: Mapping[str, Code]) -> None:
    """Q6 must be skipped exactly when Q5 says no attacks (a missing Q5 allows anything)."""
    q5, q6 = codes["q5"], codes["q6"]
    if q5 == _NO_ATTACKS and isinstance(q6, int):
        raise SgrqInputError("q6", q6, '"NA" or null when q5 = 5 (no attacks)')
    if q6 == NOT_APPLICABLE and q5 is not None and q5 != _NO_ATTACKS:
        raise SgrqInputError("q6", q6, f"a code in {{1, 2, 3, 4}} or null when q5 = {q5}")


def compute_sgrq(responses: SgrqResponses | Mapping[str, object]) -> SgrqScore:
    """Score the SGRQ by the manual 2.3 algorithm (see the module docstring).

    ``responses`` is a :class:`SgrqResponses` or a raw mapping of item id to code,
    which is parsed first (and may raise :class:`SgrqInputError`).
    """
    parsed = responses if isinstance(responses, SgrqResponses) else parse_sgrq_responses(responses)
    symptoms, activity, impacts = (_component(parsed, part) for part in Component)
    parts = (symptoms, activity, impacts)
    unscored = [part.component.value for part in parts if part.score is None]
    if unscored:
        reason = f"the Total needs all three components; not scored: {', '.join(unscored)}"
        return SgrqScore(parts, None, reason, parsed.q6_skipped)
    weight = math.fsum(part.weight for part in parts)
    possible = math.fsum(part.possible for part in parts)
    return SgrqScore(parts, 100.0 * weight / possible, None, parsed.q6_skipped)


def _component(responses: SgrqResponses, component: Component) -> ComponentScore:
    """One component: sum the weights given and the largest weights of answered items."""
    given: list[float] = []
    largest: list[float] = []
    missing = 0
    for item_id, item in SGRQ_ITEMS.items():
        if item.component is not component:
            continue
        code = responses.codes[item_id]
        if item_id == "q6" and responses.q6_skipped:
            continue
        if not isinstance(code, int):
            missing += 1
            continue
        given.append(item.weight_of(code))
        largest.append(item.max_weight)
    weight, possible = math.fsum(given), math.fsum(largest)
    limit = MAX_MISSING[component]
    if missing > limit:
        reason = f"{missing} items missing; the manual allows at most {limit}"
        return ComponentScore(component, None, missing, weight, possible, reason)
    return ComponentScore(component, 100.0 * weight / possible, missing, weight, possible, None)
