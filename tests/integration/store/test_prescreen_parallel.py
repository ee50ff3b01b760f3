"""The pre-screen in parts on a SQLite file equals the one-statement pre-screen.

:func:`prescreen_parallel` cuts the subject keys into ranges read on connections of
their own; whatever the number of workers (so of parts, some of them empty), the counts
and the candidates in their order are those of :func:`prescreen` on one connection.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool, StaticPool

from strategies import ELIGIBILITY_SCREENING_DATE, eligibility_rule_sets, eligibility_subjects
from trialdesk.store.prescreen import prescreen, prescreen_parallel
from trialdesk.store.prescreen_schema import metadata, save_subjects

registries = st.integers(0, 9).flatmap(
    lambda n: st.tuples(*(eligibility_subjects(f"S{i}") for i in range(n)))
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(rules=eligibility_rule_sets(), subjects=registries, workers=st.integers(1, 4))
def test_parts_give_the_one_statement_result(rules, subjects, workers) -> None:
    with tempfile.TemporaryDirectory(prefix="trialdesk-parts-") as scratch:
        engine = create_engine(f"sqlite:///{Path(scratch) / 'registry.db'}", poolclass=NullPool)
        try:
            with engine.begin() as connection:
                metadata.create_all(connection)
                save_subjects(connection, subjects)
            parts = prescreen_parallel(engine, rules, ELIGIBILITY_SCREENING_DATE, workers=workers)
            with engine.connect() as connection:
                whole = prescreen(connection, rules, ELIGIBILITY_SCREENING_DATE)
        finally:
            engine.dispose()
    assert parts == whole
    assert sum(parts.counts.values()) == len(subjects)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=eligibility_rule_sets(), subjects=registries)
def test_a_database_in_memory_is_read_on_its_one_connection(rules, subjects) -> None:
    # StaticPool hands every checkout the same connection, which a second thread may not
    # use: only the one-connection path can pass.
    engine = create_engine("sqlite://", poolclass=StaticPool)
    try:
        with engine.begin() as connection:
            metadata.create_all(connection)
            save_subjects(connection, subjects)
        result = prescreen_parallel(engine, rules, ELIGIBILITY_SCREENING_DATE, workers=4)
        with engine.connect() as connection:
            assert result == prescreen(connection, rules, ELIGIBILITY_SCREENING_DATE)
    finally:
        engine.dispose()
