"""Import a ClinicalTrials.gov study object into a :class:`Study`.

The importer copies what the record states in structured fields, reads dose
levels, the design and the DLT window out of its free text (quoting each span),
derives the visit schedule, splits the eligibility criteria, and lists the
gaps and assumptions. It refuses studies trialdesk does not run: observational
and expanded-access studies (no dosing to assign), and withdrawn studies (they
never enrolled).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from trialdesk.eligibility.criteria import RuleSet
from trialdesk.eligibility.rule_set import parse_rule_set
from trialdesk.errors import RecordContentError, RecordRefusedError
from trialdesk.protocol.completeness import assess_assumptions, assess_gaps
from trialdesk.protocol.criteria import SplitCriteria, split_criteria
from trialdesk.protocol.design_text import parse_design, parse_dlt_window
from trialdesk.protocol.doses import parse_dose_levels
from trialdesk.protocol.facts import Arm, Intervention
from trialdesk.protocol.import_facts import (
    read_arms_and_interventions,
    read_design_info,
    read_eligibility_facts,
    read_enrollment,
    read_identification,
    read_nct_id,
    read_status,
)
from trialdesk.protocol.outcomes import Outcome, OutcomeKind
from trialdesk.protocol.provenance import Source
from trialdesk.protocol.reading import Node
from trialdesk.protocol.registry_enums import Status, StudyType
from trialdesk.protocol.schedule import derive_visits
from trialdesk.protocol.study import Eligibility, Study
from trialdesk.protocol.timeframes import parse_time_frame

__all__ = ["import_study", "read_record_criteria", "record_free_texts"]

_OUTCOME_LISTS = (
    ("primaryOutcomes", OutcomeKind.PRIMARY, "P"),
    ("secondaryOutcomes", OutcomeKind.SECONDARY, "S"),
    ("otherOutcomes", OutcomeKind.OTHER, "O"),
)


def import_study(record: dict[str, Any]) -> Study:
    """Build the study definition of one API v2 study object.

    Raises:
        RecordContentError: a field we need is missing or malformed (named by path).
        RecordRefusedError: the study is of a kind trialdesk does not run.
    """
    protocol = Node(record, "").child("protocolSection").require()
    design_info = read_design_info(protocol)
    status = read_status(protocol)
    _refuse_unrunnable(protocol, design_info.study_type, status.overall_status)
    arms, interventions = read_arms_and_interventions(protocol)
    if design_info.study_type is StudyType.INTERVENTIONAL and not interventions:
        raise protocol.child("armsInterventionsModule").error(
            "missing: an interventional study needs its interventions to be dosed"
        )
    texts = list(_free_texts(protocol, arms, interventions))
    doses = parse_dose_levels(texts)
    dlt_window = parse_dlt_window(texts)
    outcomes = tuple(_outcomes(protocol))
    criteria = _criteria(protocol)
    arm_texts = [
        (f"{arm.source.path}.description", arm.description) for arm in arms if arm.description
    ]
    try:
        draft = Study(
            identification=read_identification(protocol),
            status=status,
            design_info=design_info,
            enrollment=read_enrollment(protocol),
            arms=arms,
            interventions=interventions,
            dose_levels_stated=doses.stated,
            dose_levels=doses.levels,
            start_dose_level=doses.start_label,
            start_dose_source=doses.start_source,
            design=parse_design(texts),
            dlt_window_days=dlt_window.days if dlt_window else None,
            dlt_window_source=dlt_window.source if dlt_window else None,
            visits=derive_visits(arm_texts, outcomes, dlt_window.days if dlt_window else None),
            eligibility=Eligibility(
                facts=read_eligibility_facts(protocol),
                preamble=criteria.preamble,
                inclusion=criteria.inclusion,
                exclusion=criteria.exclusion,
                notes=criteria.notes,
                rules=_rules(criteria),
            ),
            outcomes=outcomes,
            import_notes=(*doses.notes, *_missing_module_notes(protocol)),
        )
    except ValidationError as exc:  # a value that passed the reads but not the model
        raise RecordContentError(f"the record does not make a valid study: {exc}") from exc
    return draft.model_copy(
        update={"gaps": assess_gaps(draft), "assumptions": assess_assumptions(draft)}
    )


def read_record_criteria(record: dict[str, Any]) -> tuple[str, SplitCriteria]:
    """The NCT number and the split eligibility criteria of any registry record.

    Reading criteria needs no trial: an observational or withdrawn study's criteria
    split and parse like any other, where :func:`import_study` refuses the study.

    Raises:
        RecordContentError: no protocol section, or no valid NCT number (named by path).
    """
    protocol = Node(record, "").child("protocolSection").require()
    return read_nct_id(protocol), _criteria(protocol)


def _criteria(protocol: Node) -> SplitCriteria:
    node = protocol.child("eligibilityModule").child("eligibilityCriteria")
    return split_criteria(node.text() or "", path=node.path)


def _rules(criteria: SplitCriteria) -> RuleSet | None:
    parsed = parse_rule_set(criteria.inclusion, criteria.exclusion)
    return None if parsed is None else parsed.rules


def record_free_texts(record: dict[str, Any]) -> list[tuple[str, str]]:
    """The ``(path, text)`` pairs the importer reads doses, design and DLT window from."""
    protocol = Node(record, "").child("protocolSection").require()
    arms, interventions = read_arms_and_interventions(protocol)
    return list(_free_texts(protocol, arms, interventions))


def _refuse_unrunnable(protocol: Node, study_type: StudyType, status: Status) -> None:
    type_path = protocol.child("designModule").child("studyType").path
    if study_type is not StudyType.INTERVENTIONAL:
        raise RecordRefusedError(
            f"the study is {study_type.value}; trialdesk runs interventional trials "
            "with assigned doses only",
            field=type_path,
        )
    if status is Status.WITHDRAWN:
        raise RecordRefusedError(
            "the study was WITHDRAWN before enrolling anyone; there is no trial to run",
            field=protocol.child("statusModule").child("overallStatus").path,
        )


def _free_texts(
    protocol: Node, arms: Iterable[Arm], interventions: Iterable[Intervention]
) -> Iterable[tuple[str, str]]:
    """Free texts to read doses and design from, most specific first."""
    for intervention in interventions:
        if intervention.description and intervention.source.path:
            yield f"{intervention.source.path}.description", intervention.description
    for arm in arms:
        if arm.description and arm.source.path:
            yield f"{arm.source.path}.description", arm.description
    description = protocol.child("descriptionModule")
    for key in ("detailedDescription", "briefSummary"):
        node = description.child(key)
        text = node.text()
        if text:
            yield node.path, text
    for kind_key, _kind, _prefix in _OUTCOME_LISTS:
        for node in protocol.child("outcomesModule").child(kind_key).items():
            text = node.child("description").text()
            if text:
                yield f"{node.path}.description", text


def _outcomes(protocol: Node) -> Iterable[Outcome]:
    module = protocol.child("outcomesModule")
    for key, kind, prefix in _OUTCOME_LISTS:
        for number, node in enumerate(module.child(key).items(), start=1):
            time_frame = node.child("timeFrame").text() or ""
            yield Outcome(
                id=f"{prefix}{number}",
                kind=kind,
                measure=node.child("measure").required_text(),
                description=node.child("description").text(),
                time_frame=parse_time_frame(time_frame),
                source=Source(path=node.path),
            )


def _missing_module_notes(protocol: Node) -> Iterable[str]:
    for key in ("outcomesModule", "contactsLocationsModule", "descriptionModule"):
        if not protocol.child(key).present():
            yield f"protocolSection.{key}: missing from the record; imported without it"
