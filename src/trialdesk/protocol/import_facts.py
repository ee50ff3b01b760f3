"""Read the record's structured modules into :mod:`trialdesk.protocol.facts`."""

from __future__ import annotations

from pydantic import ValidationError

from trialdesk.protocol.facts import (
    Arm,
    DesignInfo,
    EligibilityFacts,
    Enrollment,
    Identification,
    Intervention,
    PartialDate,
    StatusInfo,
)
from trialdesk.protocol.provenance import Source
from trialdesk.protocol.reading import Node
from trialdesk.protocol.registry_enums import (
    ArmGroupType,
    DateType,
    DesignAllocation,
    DesignMasking,
    EnrollmentType,
    InterventionalAssignment,
    InterventionType,
    Phase,
    PrimaryPurpose,
    Sex,
    StandardAge,
    Status,
    StudyType,
)

__all__ = [
    "read_arms_and_interventions",
    "read_design_info",
    "read_eligibility_facts",
    "read_enrollment",
    "read_identification",
    "read_nct_id",
    "read_status",
]


def read_nct_id(protocol: Node) -> str:
    """The record's NCT number, refused by path unless it reads ``NCT`` and 8 digits."""
    nct = protocol.child("identificationModule").require().child("nctId")
    nct_id = nct.required_text()
    if not nct_id.startswith("NCT") or len(nct_id) != 11 or not nct_id[3:].isdigit():
        raise nct.error(f"expected an NCT number such as NCT01234567, got {nct_id!r}")
    return nct_id


def read_identification(protocol: Node) -> Identification:
    """Identification module, lead sponsor and conditions."""
    module = protocol.child("identificationModule").require()
    return Identification(
        nct_id=read_nct_id(protocol),
        org_study_id=module.child("orgStudyIdInfo").child("id").text(),
        brief_title=module.child("briefTitle").required_text(),
        official_title=module.child("officialTitle").text(),
        organization=module.child("organization").child("fullName").text(),
        lead_sponsor=protocol.child("sponsorCollaboratorsModule")
        .child("leadSponsor")
        .child("name")
        .text(),
        conditions=protocol.child("conditionsModule").child("conditions").texts(),
        source=Source(path=module.path),
    )


def read_status(protocol: Node) -> StatusInfo:
    """Status module; dates stay as partial as the record writes them."""
    module = protocol.child("statusModule").require()
    status = module.child("overallStatus").required_enum(Status)
    return StatusInfo(
        overall_status=status,
        status_verified=_partial_date(module.child("statusVerifiedDate")),
        start=_date_struct(module.child("startDateStruct")),
        primary_completion=_date_struct(module.child("primaryCompletionDateStruct")),
        completion=_date_struct(module.child("completionDateStruct")),
        first_posted=_date_struct(module.child("studyFirstPostDateStruct")),
        last_update_posted=_date_struct(module.child("lastUpdatePostDateStruct")),
        source=Source(path=module.path),
    )


def read_design_info(protocol: Node) -> DesignInfo:
    """Design module: study type, phases, allocation, model, purpose, masking."""
    module = protocol.child("designModule").require()
    study_type = module.child("studyType").required_enum(StudyType)
    info = module.child("designInfo")
    return DesignInfo(
        study_type=study_type,
        phases=module.child("phases").enums(Phase),
        allocation=info.child("allocation").enum(DesignAllocation),
        intervention_model=info.child("interventionModel").enum(InterventionalAssignment),
        primary_purpose=info.child("primaryPurpose").enum(PrimaryPurpose),
        masking=info.child("maskingInfo").child("masking").enum(DesignMasking),
        source=Source(path=module.path),
    )


def read_enrollment(protocol: Node) -> Enrollment:
    """Enrollment count and whether it is actual or estimated."""
    node = protocol.child("designModule").child("enrollmentInfo")
    count = node.child("count")
    value = count.integer()
    if value is not None and value < 0:
        raise count.error(f"expected a count of 0 or more, got {value}")
    return Enrollment(
        count=value,
        type=node.child("type").enum(EnrollmentType),
        source=Source(path=node.path),
    )


def read_eligibility_facts(protocol: Node) -> EligibilityFacts:
    """Sex, age limits (as written, e.g. ``18 Years``), healthy volunteers."""
    module = protocol.child("eligibilityModule").require()
    return EligibilityFacts(
        sex=module.child("sex").enum(Sex),
        minimum_age=module.child("minimumAge").text(),
        maximum_age=module.child("maximumAge").text(),
        std_ages=module.child("stdAges").enums(StandardAge),
        healthy_volunteers=module.child("healthyVolunteers").boolean(),
        source=Source(path=module.path),
    )


def read_arms_and_interventions(protocol: Node) -> tuple[tuple[Arm, ...], tuple[Intervention, ...]]:
    """Arms and interventions, each linked to the other by name.

    An arm lists ``interventionNames`` as ``"Type: Name"``; the link matches the
    part after the first ``": "`` against the intervention's ``name`` (exactly,
    then ignoring case). An intervention lists ``armGroupLabels`` directly.
    """
    module = protocol.child("armsInterventionsModule")
    raw_interventions = [_intervention(node) for node in module.child("interventions").items()]
    by_name = {item.name: item.name for item in raw_interventions}
    by_folded = {item.name.casefold(): item.name for item in raw_interventions}
    arms = []
    for node in module.child("armGroups").items():
        names = node.child("interventionNames").texts()
        linked = []
        for written in names:
            bare = written.split(": ", 1)[1] if ": " in written else written
            match = by_name.get(bare) or by_folded.get(bare.casefold())
            if match is not None and match not in linked:
                linked.append(match)
        arms.append(
            Arm(
                label=node.child("label").required_text(),
                type=node.child("type").enum(ArmGroupType),
                description=node.child("description").text(),
                intervention_names=names,
                interventions=tuple(linked),
                source=Source(path=node.path),
            )
        )
    interventions = tuple(
        item.model_copy(
            update={
                "arms": tuple(
                    arm.label
                    for arm in arms
                    if item.name in arm.interventions or arm.label in item.arm_group_labels
                )
            }
        )
        for item in raw_interventions
    )
    return tuple(arms), interventions


def _intervention(node: Node) -> Intervention:
    kind = node.child("type").required_enum(InterventionType)
    return Intervention(
        name=node.child("name").required_text(),
        type=kind,
        description=node.child("description").text(),
        arm_group_labels=node.child("armGroupLabels").texts(),
        source=Source(path=node.path),
    )


def _date_struct(node: Node) -> PartialDate | None:
    if not node.present():
        return None
    value = _partial_date(node.child("date"))
    if value is None:
        return None
    kind = node.child("type").enum(DateType)
    return value.model_copy(update={"type": kind})


def _partial_date(node: Node) -> PartialDate | None:
    text = node.text()
    if text is None:
        return None
    try:
        return PartialDate(value=text)
    except ValidationError:
        raise node.error(f"expected a date YYYY, YYYY-MM or YYYY-MM-DD, got {text!r}") from None
