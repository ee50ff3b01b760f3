"""Expected trial duration and the share of time accrual is suspended.

Model (stated, since no record gives accrual): subjects arrive as a Poisson
process of ``arrival_rate`` per day. A design that waits for the DLT window
(3+3, the interval designs, the CRM) enrols a cohort of c subjects, which takes
c / rate days on average, then suspends accrual for the ``window_days`` of the
cohort's last subject; subjects arriving meanwhile are not enrolled. So, with
E[N] the expected sample size and E[N] / c the expected number of cohorts,

    E[duration] = E[N] / rate + (E[N] / c) * window
    share suspended = (E[N] / c) * window / E[duration]   (a ratio of expectations).

TITE-CRM (Cheung & Chappell 2000) does not wait: accrual continues while
earlier subjects are followed, so E[duration] = E[N] / rate + window (the last
subject's window) and nothing is suspended.
"""

from __future__ import annotations

from dataclasses import dataclass

from trialdesk.errors import DesignInputError

__all__ = ["TrialDuration", "compute_duration"]


@dataclass(frozen=True, slots=True)
class TrialDuration:
    """Expected days from the first enrolment to the last subject's window end."""

    expected_days: float
    expected_suspended_days: float
    share_suspended: float
    waits_for_window: bool


def compute_duration(
    expected_n: float,
    *,
    cohort_size: int,
    arrival_rate: float,
    window_days: float,
    waits_for_window: bool,
) -> TrialDuration:
    """E[duration] and the share of it with accrual suspended (see the module notes)."""
    if not arrival_rate > 0:
        raise DesignInputError("arrival_rate", arrival_rate, "subjects per day, above 0")
    if not window_days >= 0:
        raise DesignInputError("window", window_days, "the DLT window in days, 0 or more")
    if cohort_size < 1:
        raise DesignInputError("cohort_size", cohort_size, "an integer >= 1")
    accrual = expected_n / arrival_rate
    if not waits_for_window:
        return TrialDuration(accrual + window_days, 0.0, 0.0, waits_for_window=False)
    suspended = expected_n / cohort_size * window_days
    total = accrual + suspended
    return TrialDuration(total, suspended, suspended / total if total else 0.0, True)
