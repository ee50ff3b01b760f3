"""Trial use cases: start a trial from its study definition, record an event, read the state.

Each call is one transaction: lock the trial, replay its events through the conduct
core, apply the new event (a refusal raises and rolls back: nothing is written),
append the event with its audit entry, commit. Who acts is always named; a dose
decision can only be confirmed by a role allowed to confirm it, as itself.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from trialdesk.conduct.events import (
    DltAdjudicated,
    EnrolmentResumed,
    EscalationConfirmed,
    Event,
    FormEntryRecorded,
)
from trialdesk.conduct.form_entry import FormEntryError, validate_entry
from trialdesk.conduct.machine import apply, start_trial
from trialdesk.conduct.state import Notice, TrialSetup, TrialState
from trialdesk.design.catalog import build_design
from trialdesk.errors import ConductError, NotFoundError, TrialdeskError
from trialdesk.protocol.design_config import design_request
from trialdesk.protocol.forms import FormSet
from trialdesk.protocol.study import Study
from trialdesk.service.users import ready_schema
from trialdesk.store.audit import AuditReport, last_entry_hash, lock_audit_trail, verify_audit
from trialdesk.store.form_entries import latest_form_entry
from trialdesk.store.forms_yaml import parse_form_set_text
from trialdesk.store.study_yaml import parse_study_text
from trialdesk.store.trials import (
    Actor,
    StoredTrial,
    append_event,
    audit_hash_of_event,
    create_schema,
    forms_of,
    insert_forms,
    insert_trial,
    load_events,
    trial_by_nct,
)

__all__ = [
    "ADJUDICATING_ROLES",
    "CONFIRMING_ROLES",
    "Recorded",
    "audit_verify",
    "forms_for_trial",
    "init_trial",
    "record_event",
    "record_form_entry",
    "setup_of",
    "study_of",
    "trial_state",
]

#: Roles that may sign off a dose decision, and adjudicate a DLT.
CONFIRMING_ROLES = frozenset({"src_chair", "principal_investigator"})
ADJUDICATING_ROLES = frozenset({"safety_reviewer", "src_chair", "principal_investigator"})


@dataclass(frozen=True, slots=True)
class Recorded:
    """What recording an event did: its sequence number, the machine's notices, the new state."""

    seq: int
    notices: tuple[Notice, ...]
    state: TrialState


def init_trial(engine: Engine, study_yaml: str, actor: Actor, forms_yaml: str | None = None) -> int:
    """Create the schema if needed and a trial for the reviewed ``study_yaml`` and its forms."""
    study = parse_study_text(study_yaml)
    setup_of(study)  # refuse a study the conduct core cannot run, before writing anything
    if forms_yaml is not None:
        parse_form_set_text(forms_yaml, name="forms.yaml", study=study)
    create_schema(engine)
    nct_id = study.identification.nct_id
    with engine.begin() as connection:
        lock_audit_trail(connection)
        try:
            trial_by_nct(connection, nct_id)
        except NotFoundError:
            trial_id = insert_trial(connection, nct_id, study_yaml, actor)
            if forms_yaml is not None:
                insert_forms(connection, trial_id, forms_yaml, actor)
            return trial_id
    raise TrialdeskError(f"this database already holds a trial of {nct_id}")


@functools.lru_cache(maxsize=8)
def _forms(forms_yaml: str) -> FormSet:
    return parse_form_set_text(forms_yaml, name="forms.yaml")


def forms_for_trial(engine: Engine, nct_id: str) -> FormSet:
    """The forms the trial captures on, or a clear error when it has none."""
    with engine.connect() as connection:
        text = forms_of(connection, trial_by_nct(connection, nct_id).id)
    if text is None:
        raise NotFoundError(f"trial {nct_id} has no forms (trialdesk trial init --forms)")
    return _forms(text)


def record_form_entry(  # noqa: PLR0913 - the entry and who writes it, when and why
    engine: Engine,
    nct_id: str,
    *,
    subject_id: str,
    visit_id: str,
    form_id: str,
    values: dict[str, object],
    actor: Actor,
    on: dt.date,
    reason: str | None = None,
) -> Recorded:
    """Validate ``values`` on the trial's form and record them (a new version corrects)."""
    forms = forms_for_trial(engine, nct_id)
    form = forms.by_id.get(form_id)
    if form is None:
        raise NotFoundError(f"no form {form_id!r} in trial {nct_id}'s forms")
    validation = validate_entry(form, values)
    if validation.issues:
        details = "; ".join(issue.message for issue in validation.issues)
        raise FormEntryError("form.invalid", f"{form_id}: {details}")
    new_values = json.loads(validation.model_dump_json())["values"]
    with engine.connect() as connection:
        trial = trial_by_nct(connection, nct_id)
        stored = latest_form_entry(connection, trial.id, subject_id, visit_id, form_id)
    if stored is not None:
        seq, previous = stored
        if (_clinical(previous.values), previous.form_version) == (
            _clinical(new_values),
            form.version,
        ):
            notice = Notice(
                "form.identical_replay",
                f"{form_id} at {visit_id} for {subject_id} already holds these values "
                f"(version {previous.entry_version}): nothing written",
            )
            return Recorded(seq, (notice,), trial_state(engine, nct_id))
        if reason is None or not reason.strip():
            raise FormEntryError("form.conflict", _conflict(previous, new_values, form.version))
    event = FormEntryRecorded(
        subject_id=subject_id,
        date=on,
        visit_id=visit_id,
        form_id=form_id,
        form_version=form.version,
        entry_version=1 if stored is None else stored[1].entry_version + 1,
        values=new_values,
        reason=reason,
    )
    return record_event(engine, nct_id, event, actor, reason=reason)


def _clinical(value: object) -> object:
    """An entry's values without how each was typed (``as_entered``): 68.5 kg == 68500 g."""
    if isinstance(value, dict):
        return {k: _clinical(v) for k, v in value.items() if k != "as_entered"}
    if isinstance(value, list):
        return [_clinical(v) for v in value]
    return value


def _conflict(previous: FormEntryRecorded, new_values: dict[str, object], version: str) -> str:
    """What differs from the stored version, item by item (PART11 C6: never silent)."""
    keys = sorted(set(previous.values) | set(new_values))
    changed = [
        f"{key}: {previous.values.get(key)!r} -> {new_values.get(key)!r}"
        for key in keys
        if previous.values.get(key) != new_values.get(key)
    ]
    if previous.form_version != version:
        changed.append(f"form version {previous.form_version} -> {version}")
    return (
        f"{previous.form_id} at {previous.visit_id} for {previous.subject_id} already holds "
        f"version {previous.entry_version}; a correction needs a reason. Differences: "
        + "; ".join(changed)
    )


@functools.lru_cache(maxsize=8)
def _study(study_yaml: str) -> Study:
    return parse_study_text(study_yaml)


def setup_of(study: Study) -> TrialSetup:
    """The conduct set-up of a study: its design, DLT window, replacement rule, visits."""
    if study.dlt_window_days is None:
        raise TrialdeskError("the study definition states no DLT window (dlt_window_days)")
    options = {option.name: option.value for option in study.design.options}
    replace = options.get("replace_non_evaluable", True)
    return TrialSetup(
        build_design(design_request(study)),
        study.dlt_window_days,
        replace is True,
        tuple(visit.id for visit in study.visits),
        tuple(rule.id for rule in study.stopping_rules),
    )


# The last replayed state of each trial, by (database URL, trial id), with the audit
# hash of the last event it includes: events are append-only, so that state plus the
# events recorded after it is the state. The hash proves the cached state belongs to
# this very database (a file deleted and recreated at the same URL does not match).
_REPLAYED: dict[tuple[str, int], tuple[int, str, TrialState]] = {}


def _cache_key(engine: Engine, trial_id: int) -> tuple[str, int]:
    return engine.url.render_as_string(hide_password=True), trial_id


# Databases this process has seen at the newest schema: a database an earlier trialdesk
# wrote is migrated on its first use (a few milliseconds), not refused half-way.
_AT_HEAD: set[str] = set()


def _ready(engine: Engine) -> None:
    key = engine.url.render_as_string(hide_password=True)
    if key not in _AT_HEAD:
        ready_schema(engine, create=False)
        _AT_HEAD.add(key)


def _state(connection: Connection, trial: StoredTrial) -> tuple[TrialState, str]:
    """The trial's state and the newest audit entry's hash, replaying only what is new."""
    key = _cache_key(connection.engine, trial.id)
    newest = last_entry_hash(connection)
    cached = _REPLAYED.get(key)
    if cached is not None and cached[1] == newest:
        return cached[2], newest  # nothing was written since
    if cached is not None and audit_hash_of_event(connection, cached[0]) == cached[1]:
        last, state = cached[0], cached[2]
    else:
        last, state = 0, start_trial(setup_of(_study(trial.study_yaml)))
    for seq, event in load_events(connection, trial.id, after=last):
        state, _ = apply(state, event)
        last = seq
    if last:
        _REPLAYED[key] = (last, audit_hash_of_event(connection, last) or "", state)
    return state, newest


def study_of(engine: Engine, nct_id: str) -> Study:
    """The study definition the trial runs."""
    with engine.connect() as connection:
        return _study(trial_by_nct(connection, nct_id).study_yaml)


def trial_state(engine: Engine, nct_id: str) -> TrialState:
    """The trial's current state, replayed from its events."""
    _ready(engine)
    with engine.connect() as connection:
        return _state(connection, trial_by_nct(connection, nct_id))[0]


def record_event(  # noqa: PLR0913 - who, why and from where are part of every write
    engine: Engine,
    nct_id: str,
    event: Event,
    actor: Actor,
    *,
    reason: str | None = None,
    source: str = "cli",
) -> Recorded:
    """Apply ``event`` to the trial and store it with its audit entry, in one transaction."""
    _check_authority(event, actor)
    _ready(engine)
    with engine.begin() as connection:
        trial = trial_by_nct(connection, nct_id)
        lock_audit_trail(connection)
        state, newest = _state(connection, trial)
        new_state, notices = apply(state, event)
        change = _change(state, new_state, event)
        seq, entry_hash = append_event(
            connection,
            trial.id,
            event,
            actor,
            audit=change,
            reason=reason,
            source=source,
            prev_hash=newest,
        )
    key = _cache_key(engine, trial.id)
    _REPLAYED[key] = (seq, entry_hash, new_state)  # committed: the next call starts here
    return Recorded(seq, notices, new_state)


def _check_authority(event: Event, actor: Actor) -> None:
    if isinstance(event, EscalationConfirmed | EnrolmentResumed):
        if actor.role not in CONFIRMING_ROLES:
            raise ConductError(
                "decision.role", f"{actor.user_id} ({actor.role}) may not confirm a dose decision"
            )
        if (event.confirmed_by, event.role) != (actor.user_id, actor.role):
            raise ConductError("decision.signer", "a decision is confirmed by the acting user only")
    if isinstance(event, DltAdjudicated) and actor.role not in ADJUDICATING_ROLES:
        raise ConductError("dlt.role", f"{actor.user_id} ({actor.role}) may not adjudicate DLTs")


def _change(
    before: TrialState, after: TrialState, event: Event
) -> tuple[str, str | None, str | None]:
    """The audit entry's field, old and new value for ``event``."""
    if isinstance(event, EscalationConfirmed):
        decision = after.decisions[-1].decision
        return "dose_decision", None, f"{decision.rule} -> {decision.next_level}"
    if isinstance(event, EnrolmentResumed):
        return "enrolment", f"paused: {before.paused}", "open"
    if isinstance(event, FormEntryRecorded):
        field = f"form/{event.visit_id}/{event.form_id}"
        replaced = None if event.entry_version == 1 else f"version {event.entry_version - 1}"
        return field, replaced, json.dumps(event.values, sort_keys=True)
    subject_id = event.subject_id
    old = before.subjects.get(subject_id)
    new = after.subjects[subject_id]
    return "status", None if old is None else old.status.value, new.status.value


def audit_verify(engine: Engine) -> AuditReport:
    """Recompute the audit chain and every record's hash."""
    with engine.connect() as connection:
        return verify_audit(connection)
