"""The pre-screen in parts equals the one-statement pre-screen, on SQLite and PostgreSQL.

:func:`prescreen_parallel` cuts the subject keys into ranges read on connections of
their own; whatever the number of workers (so of parts, some of them empty), the counts
and the candidates in their order are those of :func:`prescreen` on one connection.
On PostgreSQL every part reads the snapshot the lead transaction exported.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_postgresql.executors import PostgreSQLExecutor
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.pool import NullPool, StaticPool

from pg_databases import postgresql_database
from strategies import ELIGIBILITY_SCREENING_DATE, eligibility_rule_sets, eligibility_subjects
from trialdesk.eligibility.subject import SubjectData
from trialdesk.store.prescreen import (
    _lead,
    _lists,
    _part_connection,
    prescreen,
    prescreen_parallel,
)
from trialdesk.store.prescreen_schema import metadata, save_subjects
from trialdesk.store.prescreen_schema import subjects as subjects_table

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


@pytest.fixture(scope="module")
def committed_postgresql(postgresql_server: PostgreSQLExecutor) -> Iterator[Engine]:
    """A database of its own on the worker's server: parts read committed rows only."""
    with postgresql_database(postgresql_server, "trialdesk_parts") as engine:
        yield engine


@contextmanager
def _registry(engine: Engine, subjects: Sequence[SubjectData]) -> Iterator[None]:
    with engine.begin() as connection:
        metadata.create_all(connection)
        save_subjects(connection, subjects)
    try:
        yield
    finally:
        with engine.begin() as connection:
            metadata.drop_all(connection)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(rules=eligibility_rule_sets(), subjects=registries, workers=st.integers(2, 4))
def test_postgresql_parts_give_the_one_statement_result(
    committed_postgresql, rules, subjects, workers
) -> None:
    with _registry(committed_postgresql, subjects):
        parts = prescreen_parallel(
            committed_postgresql, rules, ELIGIBILITY_SCREENING_DATE, workers=workers
        )
        with committed_postgresql.connect() as connection:
            whole = prescreen(connection, rules, ELIGIBILITY_SCREENING_DATE)
    assert parts == whole
    assert sum(parts.counts.values()) == len(subjects)


def _subjects(*names: str) -> list[SubjectData]:
    return [
        SubjectData(subject_id=name, screening_date=ELIGIBILITY_SCREENING_DATE) for name in names
    ]


def test_postgresql_parts_read_the_snapshot_the_lead_exported(committed_postgresql) -> None:
    # A subject committed after the lead took its snapshot is not seen by a part.
    with _registry(committed_postgresql, _subjects("S1", "S2")):
        with _lead(committed_postgresql) as (snapshot, low, high):
            with committed_postgresql.begin() as writer:
                save_subjects(writer, _subjects("S3"))
            with _part_connection(committed_postgresql, snapshot) as part:
                seen = part.execute(select(subjects_table.c.subject_id)).scalars().all()
        with committed_postgresql.connect() as connection:
            now = connection.execute(select(subjects_table.c.subject_id)).scalars().all()
    assert snapshot is not None
    assert (low, high) == (1, 2)
    assert sorted(seen) == ["S1", "S2"]
    assert sorted(now) == ["S1", "S2", "S3"]


def test_lists_aggregated_out_of_order_are_put_back_in_saved_order() -> None:
    # An engine may aggregate the candidates in any order; the keys give saved order.
    row = (3, "[7, 2, 5]", '["S7", "S2", "S5"]', "[1, 0, 4]")
    assert _lists(row) == (["S2", "S5", "S7"], [[0, 4, 1]])
