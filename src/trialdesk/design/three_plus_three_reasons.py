"""The sentences a clinician reads with each 3+3 decision, one template per rule id.

Kept apart from the rules (:mod:`trialdesk.design.three_plus_three`) so the rules
read as rules; the set of templates is also the set of rule ids the design can
return (:data:`THREE_PLUS_THREE_RULES`).
"""

from __future__ import annotations

from trialdesk.design.history import DoseCounts, Label

__all__ = ["COHORT", "REASONS", "THREE_PLUS_THREE_RULES", "reason_fields"]

COHORT = 3

# Rule id -> reason template. Fields: cur (current level), cur_counts, nxt, nxt_plan,
# mtd, mtd_counts, above, above_counts, below, done, missing.
REASONS: dict[str, str] = {
    "3+3.start": "No subject treated yet: treat the first cohort of 3 at the start level {nxt}.",
    "3+3.complete_cohort": (
        "The latest cohort at level {cur} has {done} of 3 subjects ({cur_counts} DLTs at "
        "level {cur} so far): treat {missing} more at level {cur} before deciding."
    ),
    "3+3.escalate_after_0_of_3": "{cur_counts} DLTs at level {cur}: escalate to level {nxt}.",
    "3+3.expand_after_1_of_3": "{cur_counts} DLTs at level {cur}: treat 3 more at level {cur}.",
    "3+3.escalate_after_1_of_6": "{cur_counts} DLTs at level {cur}: escalate to level {nxt}.",
    "3+3.expand_top": (
        "{cur_counts} DLTs at level {cur}, the highest level: treat 3 more there before "
        "declaring it the MTD (expand_top)."
    ),
    "3+3.top_dose_mtd": (
        "{cur_counts} DLTs at level {cur}, the highest level: no higher level to escalate "
        "to; stop, MTD = level {mtd}."
    ),
    "3+3.too_toxic_deescalate": (
        "{cur_counts} DLTs at level {cur}: too toxic; de-escalate to level {nxt}, {nxt_plan}."
    ),
    "3+3.too_toxic_mtd_below": (
        "{cur_counts} DLTs at level {cur}: too toxic; level {mtd} below has {mtd_counts}: "
        "stop, MTD = level {mtd}."
    ),
    "3+3.too_toxic_stop_lowest": (
        "{cur_counts} DLTs at level {cur}, the lowest level: too toxic; stop with no MTD."
    ),
    "3+3.too_toxic_no_deescalation": (
        "{cur_counts} DLTs at level {cur}: too toxic; escalation-only design (no "
        "de-escalation): stop, MTD = level {mtd} below, which has {mtd_counts}."
    ),
    "3+3.too_toxic_no_deescalation_untested": (
        "{cur_counts} DLTs at level {cur}: too toxic; escalation-only design (no "
        "de-escalation) and level {below} below was never treated: stop with no MTD."
    ),
    "3+3.expand_below_too_toxic": (
        "{cur_counts} DLTs at level {cur} and level {above} above is too toxic "
        "({above_counts}): treat 3 more at level {cur} before declaring it the MTD."
    ),
    "3+3.mtd_below_too_toxic": (
        "{cur_counts} DLTs at level {cur} and level {above} above is too toxic "
        "({above_counts}): stop, MTD = level {cur}."
    ),
}

THREE_PLUS_THREE_RULES: tuple[str, ...] = tuple(REASONS)
"""Every rule id :class:`ThreePlusThree` can return, in the order the docstring lists them."""


def reason_fields(
    labels: tuple[Label, ...],
    counts: tuple[DoseCounts, ...],
    next_index: int | None,
    mtd_index: int | None,
    current: int | None,
) -> dict[str, object]:
    """The values a reason template may name; absent neighbours read as '-'."""

    def label(index: int | None) -> object:
        return "-" if index is None or not 0 <= index < len(labels) else labels[index]

    def count(index: int | None) -> object:
        return "-" if index is None or not 0 <= index < len(labels) else counts[index]

    cur = -1 if current is None else current
    done = counts[cur].n % COHORT if current is not None else 0
    nxt = next_index
    untested = nxt is not None and counts[nxt].n == 0
    plan = "not yet treated: treat 3 there" if untested else f"which has {count(nxt)}: treat 3 more"
    return {
        "cur": label(current),
        "cur_counts": count(current),
        "nxt": label(nxt),
        "nxt_plan": plan,
        "mtd": label(mtd_index),
        "mtd_counts": count(mtd_index),
        "above": label(cur + 1),
        "above_counts": count(cur + 1),
        "below": label(cur - 1),
        "done": done,
        "missing": COHORT - done,
    }
