"""The audit trail as CSV and as CDISC ODM 1.3.2 ``AuditRecord`` elements (PART11.md A8).

CSV: one row per entry, every stored column plus the actor's role and site at the
time, times in UTC ISO 8601 with their offset (RFC 4180 quoting, CRLF line ends). It is
an exact copy: every cell holds the stored text. A trail holds text users typed (reasons,
values), and a spreadsheet runs a cell that starts like a formula (``=HYPERLINK(...)``;
OWASP, "CSV Injection"); the spreadsheet-safe variant (:func:`spreadsheet_safe`) puts a
``'`` before such a cell, so it is read as text, and is no longer an exact copy.

ODM: the schema lets an ``AuditRecord`` stand inside the ``ItemData``/``FormData``/...
it audits, or in an ``AuditRecords`` container of ``ClinicalData`` (ODM 1.3.2
foundation XSD, ``ODMcomplexTypeDefinition-ClinicalData``: ``SubjectData*``,
``AuditRecords*``). The trail is exported as a Snapshot file with one
``ClinicalData/AuditRecords`` holding one ``AuditRecord`` per entry (``ID="AR.<seq>"``),
each with ``UserRef``, ``LocationRef``, ``DateTimeStamp``, ``ReasonForChange`` (when
the entry has a reason) and ``SourceID``. An ``AuditRecord`` has no place for the
value it audits (that is the ``ItemData`` it would sit in), so ``SourceID`` names the
trialdesk entry — its seq and hash, the action, entity, field, old and new value, the
source and the record's hash — and the CSV of the same filter holds every column.
``AdminData`` lists each ``User`` and ``Location`` referenced; a ``Location`` needs a
``MetaDataVersionRef``, so the file names one study: the trial the filter names, or the
database's only trial (a database with several needs the filter's trial).

XML is built with :mod:`xml.etree.ElementTree`, never by joining strings, so every
value is escaped.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from importlib.metadata import version

from trialdesk.errors import NotFoundError, TrialdeskError
from trialdesk.service.audit import AuditSelection, StudyRef
from trialdesk.store.audit_query import TrailEntry

__all__ = [
    "AUDIT_CSV_COLUMNS",
    "ODM_NAMESPACE",
    "export_audit_csv",
    "export_audit_odm",
    "spreadsheet_safe",
]

#: The CSV header: every stored column of an entry, and its actor's role and site then.
AUDIT_CSV_COLUMNS: tuple[str, ...] = tuple(TrailEntry.__slots__)
ODM_NAMESPACE = "http://www.cdisc.org/ns/odm/v1.3"
_UNRECORDED_SITE = "site not recorded"
#: How a cell a spreadsheet reads as a formula starts (OWASP, "CSV Injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: A plain decimal number, which a spreadsheet reads as a number, not a formula.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_safe(cell: str) -> str:
    """``cell`` with ``'`` before it when a spreadsheet would run it as a formula.

    A plain number such as ``-1`` (the seed's lowest dose level) is left as it is: it
    is read as a number. Removing the one leading ``'`` of a changed cell gives the
    stored text back.
    """
    if cell.startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(cell):
        return f"'{cell}"
    return cell


def export_audit_csv(selection: AuditSelection, *, for_spreadsheets: bool = False) -> str:
    """The selected entries as CSV text, with a header row.

    ``for_spreadsheets``: each cell through :func:`spreadsheet_safe` (not an exact copy).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(AUDIT_CSV_COLUMNS)
    for entry in selection.entries:
        row = entry.as_dict()
        cells = ("" if row[name] is None else str(row[name]) for name in AUDIT_CSV_COLUMNS)
        writer.writerow(map(spreadsheet_safe, cells) if for_spreadsheets else cells)
    return buffer.getvalue()


def _add(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, name, attributes)
    element.text = text
    return element


def _one_study(selection: AuditSelection) -> StudyRef:
    """The study the file names: the filter's trial, or the database's only one."""
    named = selection.audit_filter.trial
    studies = [s for s in selection.studies if named is None or s.oid == named]
    if not studies:
        which = "no trial" if named is None else f"no trial {named}"
        raise NotFoundError(f"{which} in this database: an ODM file names its study")
    if len(studies) > 1:
        names = ", ".join(study.oid for study in studies)
        raise TrialdeskError(
            f"an ODM audit export names one study; this database holds {names}: "
            "filter by one trial (--trial), or use --csv"
        )
    return studies[0]


def _user_oid(user_id: str) -> str:
    return f"USR.{user_id}"


def _location_oid(site: str | None) -> str:
    return f"LOC.{site or _UNRECORDED_SITE}"


def _source_id(entry: TrailEntry) -> str:
    """Where the record comes from, and what it recorded (an AuditRecord has no value slot)."""
    return (
        f"trialdesk audit entry {entry.seq} ({entry.entry_hash}): {entry.action} "
        f"{entry.entity} {entry.field}: {json.dumps(entry.old_value, ensure_ascii=False)} -> "
        f"{json.dumps(entry.new_value, ensure_ascii=False)}; "
        f"source {entry.source}; record {entry.record_table}/{entry.record_key} "
        f"({entry.record_hash})"
    )


def _admin_data(root: ET.Element, study: StudyRef, entries: tuple[TrailEntry, ...]) -> None:
    """Each user referenced (by the newest name its entries show) and each site."""
    names: dict[str, str] = {}
    sites: dict[str, list[str | None]] = {}
    for entry in entries:
        names[entry.actor_user_id] = entry.actor_name
        seen = sites.setdefault(entry.actor_user_id, [])
        if entry.actor_site not in seen:
            seen.append(entry.actor_site)
    admin = _add(root, "AdminData", StudyOID=study.oid)
    for user_id, name in names.items():
        user = _add(admin, "User", OID=_user_oid(user_id))
        _add(user, "LoginName", user_id)
        _add(user, "FullName", name)
        for site in sites[user_id]:
            _add(user, "LocationRef", LocationOID=_location_oid(site))
    locations = dict.fromkeys(site for seen in sites.values() for site in seen)
    for site in locations:
        location = _add(
            admin,
            "Location",
            OID=_location_oid(site),
            Name=site or _UNRECORDED_SITE,
            LocationType="Site",
        )
        _add(
            location,
            "MetaDataVersionRef",
            StudyOID=study.oid,
            MetaDataVersionOID=study.metadata_version_oid,
            EffectiveDate=study.effective.isoformat(),
        )


def _audit_record(parent: ET.Element, entry: TrailEntry) -> None:
    record = _add(parent, "AuditRecord", ID=f"AR.{entry.seq}")
    _add(record, "UserRef", UserOID=_user_oid(entry.actor_user_id))
    _add(record, "LocationRef", LocationOID=_location_oid(entry.actor_site))
    _add(record, "DateTimeStamp", entry.at.isoformat())
    if entry.reason is not None:
        _add(record, "ReasonForChange", entry.reason)
    _add(record, "SourceID", _source_id(entry))


def export_audit_odm(selection: AuditSelection) -> str:
    """The selected entries as an ODM 1.3.2 Snapshot file (UTF-8 text with its declaration)."""
    study = _one_study(selection)
    stamp = selection.read_at.strftime("%Y%m%dT%H%M%S%fZ")
    criteria = json.dumps(selection.audit_filter.as_dict(), sort_keys=True)
    # The ODM namespace is the default one, declared on the root: every element is in it
    # and attributes stay unqualified (ElementTree's default_namespace refuses those).
    root = ET.Element(
        "ODM",
        {
            "xmlns": ODM_NAMESPACE,
            "FileType": "Snapshot",
            "FileOID": f"trialdesk.audit.{study.oid}.{stamp}",
            "CreationDateTime": selection.read_at.isoformat(),
            "ODMVersion": "1.3.2",
            "Originator": selection.read_by,
            "SourceSystem": "trialdesk",
            "SourceSystemVersion": version("trialdesk"),
            "Description": f"trialdesk audit trail of {study.oid}, filter {criteria}",
        },
    )
    _admin_data(root, study, selection.entries)
    clinical = _add(
        root,
        "ClinicalData",
        StudyOID=study.oid,
        MetaDataVersionOID=study.metadata_version_oid,
    )
    records = _add(clinical, "AuditRecords")
    for entry in selection.entries:
        _audit_record(records, entry)
    ET.indent(root)
    xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml.decode("utf-8") + "\n"
