"""Exports: machine-readable copies of trial data (the audit trail as CSV and CDISC ODM)."""

from trialdesk.exports.audit_export import (
    AUDIT_CSV_COLUMNS,
    ODM_NAMESPACE,
    export_audit_csv,
    export_audit_odm,
)

__all__ = ["AUDIT_CSV_COLUMNS", "ODM_NAMESPACE", "export_audit_csv", "export_audit_odm"]
