"""User accounts and role grants, audited and append-only (PART11.md A9, with A3 and A7 for
the new ``user_grants`` table), on real SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.exc import DBAPIError

from trialdesk.conduct.events import SubjectRegistered
from trialdesk.errors import ConductError, InputError, NotFoundError
from trialdesk.service import Actor, audit_verify, init_trial, record_event
from trialdesk.service.users import add_user, grant_role, list_users
from trialdesk.store.migrate import _config, upgrade
from trialdesk.store.trial_schema import AuditRow, UserGrantRow, UserRow

STUDY_YAML = (
    Path(__file__).resolve().parents[3] / "studies" / "NCT07329959" / "study.yaml"
).read_text("utf-8")
NCT = "NCT07329959"
DAY = dt.date(2026, 6, 1)
ADMIN = Actor("adm1", "Admin One", "admin", "Hangzhou")
COORDINATOR = Actor("coord1", "Chen Li", "coordinator", "Hangzhou")


def _entries(engine: Engine, action: str) -> list[dict[str, object]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(AuditRow).where(AuditRow.action == action).order_by(AuditRow.seq)
        )
        return [dict(row) for row in rows.mappings()]


def _count(engine: Engine, table: type[AuditRow] | type[UserRow] | type[UserGrantRow]) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _register(engine: Engine, sid: str, actor: Actor) -> None:
    record_event(engine, NCT, SubjectRegistered(subject_id=sid, date=DAY, site="H"), actor)


def test_A9_user_creation_and_role_grants_are_audited(trial_engine: Engine) -> None:
    add_user(trial_engine, ADMIN, COORDINATOR, reason="joins the Hangzhou team")
    account = grant_role(
        trial_engine, ADMIN, "coord1", role="investigator", site="Ningbo", reason="sub-investigator"
    )
    assert (account.role, account.site) == ("investigator", "Ningbo")
    created = _entries(trial_engine, "user.create")
    assert [(e["actor_user_id"], e["entity"], e["record_table"]) for e in created] == [
        ("adm1", "user/adm1", "users"),  # the admin's own account, made on first use
        ("adm1", "user/coord1", "users"),
    ]
    assert created[1]["reason"] == "joins the Hangzhou team"
    assert json.loads(str(created[1]["new_value"])) == {
        "name": "Chen Li",
        "role": "coordinator",
        "site": "Hangzhou",
    }
    (grant,) = _entries(trial_engine, "user.grant")
    assert (grant["actor_user_id"], grant["entity"], grant["field"]) == (
        "adm1",
        "user/coord1",
        "role",
    )
    assert json.loads(str(grant["old_value"])) == {"role": "coordinator", "site": "Hangzhou"}
    assert json.loads(str(grant["new_value"])) == {"role": "investigator", "site": "Ningbo"}
    assert (grant["reason"], grant["record_table"]) == ("sub-investigator", "user_grants")
    directory = list_users(trial_engine)
    assert [(a.user_id, a.role, a.site) for a in directory.accounts] == [
        ("adm1", "admin", "Hangzhou"),
        ("coord1", "investigator", "Ningbo"),
    ]
    assert [(g.user_id, g.role, g.granted_by, g.reason) for g in directory.grants] == [
        ("coord1", "investigator", "adm1", "sub-investigator")
    ]
    with trial_engine.connect() as connection:  # the account row itself is never rewritten
        stored = connection.execute(select(UserRow.role).where(UserRow.user_id == "coord1"))
        assert stored.scalar_one() == "coordinator"
    assert audit_verify(trial_engine).verified


def test_A9_an_account_made_on_first_use_is_audited_before_the_act(trial_engine: Engine) -> None:
    init_trial(trial_engine, STUDY_YAML, COORDINATOR)
    _register(trial_engine, "S1", COORDINATOR)
    _register(trial_engine, "S2", COORDINATOR)
    with trial_engine.connect() as connection:
        actions = connection.execute(select(AuditRow.action).order_by(AuditRow.seq)).scalars()
        # The creator's account first (made by the trial's creation), then the trial.
        assert list(actions) == ["user.create", "trial_created", "registered", "registered"]
    (created,) = _entries(trial_engine, "user.create")
    assert (created["actor_user_id"], created["reason"]) == ("coord1", "created on first use")
    assert audit_verify(trial_engine).verified  # the chain runs through the account's entry


def test_A9_a_role_change_without_a_grant_is_refused(trial_engine: Engine) -> None:
    init_trial(trial_engine, STUDY_YAML, COORDINATOR)
    _register(trial_engine, "S1", COORDINATOR)
    entries = _count(trial_engine, AuditRow)
    for claimed in (
        Actor("coord1", "Chen Li", "principal_investigator", "Hangzhou"),
        Actor("coord1", "Chen Li", "coordinator", "Ningbo"),
        Actor("coord1", "Someone Else", "coordinator", "Hangzhou"),
    ):
        with pytest.raises(ConductError, match=r"user\.mismatch.*trialdesk user grant"):
            _register(trial_engine, "S2", claimed)
    assert _count(trial_engine, AuditRow) == entries  # refused: nothing written
    promoted = Actor("coord1", "Chen Li", "investigator", "Hangzhou")
    grant_role(trial_engine, ADMIN, "coord1", role="investigator", reason="promoted")
    _register(trial_engine, "S2", promoted)  # after the grant, the new role acts
    with pytest.raises(ConductError, match=r"user\.mismatch"):
        _register(trial_engine, "S3", COORDINATOR)  # and the old one no longer does
    assert audit_verify(trial_engine).verified


def test_A9_only_an_admin_role_creates_and_grants_and_never_to_itself(
    trial_engine: Engine,
) -> None:
    add_user(trial_engine, ADMIN, COORDINATOR)
    entries = _count(trial_engine, AuditRow)
    newcomer = Actor("new1", "New Person", "coordinator", "Hangzhou")
    with pytest.raises(ConductError, match=r"user\.admin_role"):
        add_user(trial_engine, COORDINATOR, newcomer)
    with pytest.raises(ConductError, match=r"user\.admin_role"):
        grant_role(trial_engine, COORDINATOR, "coord1", role="investigator", reason="self")
    with pytest.raises(ConductError, match=r"user\.self_grant"):
        grant_role(trial_engine, ADMIN, "adm1", role="principal_investigator", reason="mine")
    with pytest.raises(ConductError, match=r"user\.exists.*never reused"):
        add_user(trial_engine, ADMIN, Actor("coord1", "Chen Li", "monitor", "Sponsor"))
    with pytest.raises(ConductError, match=r"user\.grant_unchanged"):
        grant_role(trial_engine, ADMIN, "coord1", role="coordinator", reason="again")
    with pytest.raises(InputError, match="`role` got 'principle_investigator'"):
        grant_role(trial_engine, ADMIN, "coord1", role="principle_investigator", reason="typo")
    with pytest.raises(InputError, match="`reason`"):
        grant_role(trial_engine, ADMIN, "coord1", role="investigator", reason="  ")
    with pytest.raises(NotFoundError, match="no user ghost"):
        grant_role(trial_engine, ADMIN, "ghost", role="investigator", reason="who?")
    assert _count(trial_engine, AuditRow) == entries
    assert _count(trial_engine, UserGrantRow) == 0


def _drop_guard(engine: Engine, table: str) -> None:
    """What someone with raw database access could do: remove the append-only trigger."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text(f"DROP TRIGGER {table}_UPDATE_refused"))
            connection.execute(text(f"DROP TRIGGER {table}_DELETE_refused"))
        else:
            connection.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))


@pytest.mark.parametrize("statement", ["UPDATE {t} SET role = 'admin'", "DELETE FROM {t}"])
@pytest.mark.parametrize("table", ["user_grants", "users"])
def test_A3_user_and_grant_rows_cannot_be_updated_or_deleted(
    trial_engine: Engine, statement: str, table: str
) -> None:
    add_user(trial_engine, ADMIN, COORDINATOR)
    grant_role(trial_engine, ADMIN, "coord1", role="investigator", reason="promoted")
    with pytest.raises(DBAPIError, match="append-only"), trial_engine.begin() as connection:
        connection.execute(text(statement.format(t=table)))
    assert audit_verify(trial_engine).verified


def test_A7_verify_names_an_edited_grant_and_an_edited_account(trial_engine: Engine) -> None:
    add_user(trial_engine, ADMIN, COORDINATOR)
    grant_role(trial_engine, ADMIN, "coord1", role="investigator", reason="promoted")
    _drop_guard(trial_engine, "user_grants")
    _drop_guard(trial_engine, "users")
    with trial_engine.begin() as connection:
        connection.execute(text("UPDATE user_grants SET role = 'principal_investigator'"))
        connection.execute(text("UPDATE users SET site = 'Ningbo' WHERE user_id = 'adm1'"))
    assert audit_verify(trial_engine).problems == (
        "users row 1: edited or written outside trialdesk",
        "user_grants row 1: edited or written outside trialdesk",
    )


def test_A7_verify_names_a_deleted_grant_and_one_written_around_trialdesk(
    trial_engine: Engine,
) -> None:
    add_user(trial_engine, ADMIN, COORDINATOR)
    grant_role(trial_engine, ADMIN, "coord1", role="investigator", reason="promoted")
    _drop_guard(trial_engine, "user_grants")
    with trial_engine.begin() as connection:
        connection.execute(
            insert(UserGrantRow).values(
                user_row_id=2,
                role="admin",
                site="Hangzhou",
                granted_by="adm1",
                reason="by hand",
                granted_at=dt.datetime.now(dt.UTC),
            )
        )
        connection.execute(text("DELETE FROM user_grants WHERE id = 1"))
    problems = audit_verify(trial_engine).problems
    assert "user_grants row 1: deleted" in problems
    assert "user_grants row 2: edited or written outside trialdesk" in problems


def test_A9_accounts_made_before_revision_0003_get_their_creation_entry(
    trial_engine: Engine,
) -> None:
    config = _config()
    with trial_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    with trial_engine.begin() as connection:  # as revision 0002 made them: no audit entry
        connection.execute(
            insert(UserRow).values(
                user_id="old1",
                name="Old Hand",
                role="coordinator",
                site="Hangzhou",
                created_at=dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC),
            )
        )
    upgrade(trial_engine)
    (created,) = _entries(trial_engine, "user.create")
    assert (created["actor_user_id"], created["entity"], created["source"]) == (
        "old1",
        "user/old1",
        "system",
    )
    assert "migration 0003" in str(created["reason"])
    assert audit_verify(trial_engine).verified
