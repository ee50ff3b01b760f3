"""Saving subjects: exact integers or a refusal that names the value, and a faithful read-back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from strategies import ELIGIBILITY_SCREENING_DATE, eligibility_subjects
from trialdesk.eligibility import Observation, SubjectData
from trialdesk.store.prescreen_schema import (
    PrescreenInputError,
    load_subject,
    measures,
    observations,
    save_subjects,
    subjects,
    to_micro,
    units,
)

DAY = ELIGIBILITY_SCREENING_DATE


def _with(value: str, unit: str | None = "mg/dL", **ref: str) -> SubjectData:
    observation = Observation(
        measure="creatinine",
        value=Decimal(value),
        unit=unit,
        date=DAY,
        source="labs",
        **{name: Decimal(v) for name, v in ref.items()},
    )
    return SubjectData(subject_id="S9", screening_date=DAY, observations=(observation,))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subjects=st.tuples(eligibility_subjects("A"), eligibility_subjects("B")))
def test_a_saved_subject_reads_back_equal(database, subjects) -> None:
    with database.fresh() as connection:
        assert save_subjects(connection, subjects) == 2
        loaded = [load_subject(connection, s.subject_id, DAY) for s in subjects]
    assert loaded == list(subjects)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.5", 1_500_000),
        ("-0.000001", -1),
        ("1.5000000", 1_500_000),  # trailing zeros are not decimals
        ("1E+12", 10**18),
    ],
)
def test_values_are_stored_as_exact_micro_units(value, expected) -> None:
    assert to_micro(Decimal(value), "v") == expected


@pytest.mark.parametrize(
    ("subject", "message"),
    [
        (
            _with("1.0000001"),
            (
                "S9.observations[0].value` got Decimal('1.0000001'); "
                "expected a number with at most 6 decimals"
            ),
        ),
        (_with("1000000000000.000001"), "S9.observations[0].value"),
        (
            _with("1", uln="1E+13"),
            "S9.observations[0].uln` got Decimal('1E+13'); expected a magnitude",
        ),
        (_with("1", unit=" mg/dL"), "S9.observations[0].unit` got ' mg/dL'; expected a unit code"),
    ],
)
def test_a_value_that_cannot_be_stored_exactly_is_refused_by_name(
    database, subject, message
) -> None:
    with database.fresh() as connection:
        with pytest.raises(PrescreenInputError, match=None) as raised:
            save_subjects(connection, [subject])
        assert message in str(raised.value)
        assert connection.execute(select(func.count()).select_from(subjects)).scalar() == 0


def test_each_value_holds_until_the_next_of_its_measure(database) -> None:
    def obs(days_before: int, value: str = "1") -> Observation:
        return Observation(
            measure="platelets",
            value=Decimal(value),
            unit="10*9/L",
            date=DAY - dt.timedelta(days=days_before),
            source="labs",
        )

    subject = SubjectData(
        subject_id="S1", screening_date=DAY, observations=(obs(1), obs(10), obs(1, "2"))
    )
    with database.fresh() as connection:
        save_subjects(connection, [subject])
        rows = connection.execute(
            select(observations.c.date, observations.c.superseded_on).order_by(observations.c.id)
        ).all()
    assert [tuple(row) for row in rows] == [
        (DAY - dt.timedelta(days=1), DAY - dt.timedelta(days=1)),  # the later one on its date
        (DAY - dt.timedelta(days=10), DAY - dt.timedelta(days=1)),
        (DAY - dt.timedelta(days=1), None),
    ]


def test_measure_names_and_unit_codes_are_stored_once_and_read_back(database) -> None:
    def subject(subject_id: str, *labs: tuple[str, str | None]) -> SubjectData:
        made = tuple(
            Observation(measure=m, value=Decimal(1), unit=u, date=DAY, source="labs")
            for m, u in labs
        )
        return SubjectData(subject_id=subject_id, screening_date=DAY, observations=made)

    first = subject("S1", ("platelets", "10*9/L"), ("creatinine", "mg/dL"))
    second = subject("S2", ("platelets", "/uL"), ("inr", None), ("creatinine", "mg/dL"))
    with database.fresh() as connection:
        save_subjects(connection, [first])
        save_subjects(connection, [second])  # a second call finds the first's keys
        names = connection.execute(select(measures.c.name).order_by(measures.c.id)).scalars()
        codes = connection.execute(select(units.c.code).order_by(units.c.id)).scalars()
        assert list(names) == ["creatinine", "platelets", "inr"]
        assert list(codes) == ["10*9/L", "mg/dL", "/uL"]
        assert load_subject(connection, "S2", DAY) == second
