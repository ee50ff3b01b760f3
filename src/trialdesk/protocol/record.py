"""Read a ClinicalTrials.gov record from text into the API v2 study object.

Two formats are read:

* the API v2 JSON: a bare study object, or a search page ``{"studies": [...]}``
  (its first study is taken);
* the record page (``seed/NCT07329959.txt``): a header, then a ``Raw JSON`` line,
  then the study written as a Python literal (single quotes, ``True``/``False``).

The literal is read with :func:`ast.literal_eval`, which evaluates literals
only, so a record page can never run code.
"""

from __future__ import annotations

import ast
import json
from typing import Any

from trialdesk.errors import RecordFormatError

__all__ = ["RAW_JSON_MARKER", "parse_record_text"]

RAW_JSON_MARKER = "Raw JSON"


def parse_record_text(text: str) -> dict[str, Any]:
    """Return the study object held in ``text``, in either supported format.

    Raises:
        RecordFormatError: the text is neither format, or holds no study object.
    """
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise RecordFormatError("the file is empty; expected a ClinicalTrials.gov record")
    if stripped[0] in "{[":
        data = _parse_json(stripped)
    elif RAW_JSON_MARKER in stripped:
        data = _parse_record_page(stripped)
    else:
        raise RecordFormatError(
            "not JSON and not a record page: expected a ClinicalTrials.gov API v2 study "
            f"as JSON, or a record page with a {RAW_JSON_MARKER!r} line"
        )
    return _select_study(data)


def _parse_json(text: str) -> Any:  # noqa: ANN401 - JSON is untyped until checked
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordFormatError(
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc


def _parse_record_page(text: str) -> Any:  # noqa: ANN401 - the literal is untyped until checked
    literal = text.split(RAW_JSON_MARKER, 1)[1].strip()
    if literal.startswith("{") and literal.rstrip().endswith("}"):
        try:
            return ast.literal_eval(literal)
        except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
            raise RecordFormatError(
                f"the study after {RAW_JSON_MARKER!r} is not a readable literal: {exc}"
            ) from exc
    raise RecordFormatError(f"no study object follows the {RAW_JSON_MARKER!r} line")


def _select_study(data: object) -> dict[str, Any]:
    if isinstance(data, dict) and "studies" in data and "protocolSection" not in data:
        studies = data["studies"]
        if not isinstance(studies, list) or not studies:
            raise RecordFormatError("the search page holds no studies", field="studies")
        data = studies[0]
        if not isinstance(data, dict):
            raise RecordFormatError("is not a study object", field="studies[0]")
    if not isinstance(data, dict):
        raise RecordFormatError(
            f"the top level is a {type(data).__name__}, not a study object "
            "(expected a JSON object with a 'protocolSection')"
        )
    if not isinstance(data.get("protocolSection"), dict):
        raise RecordFormatError(
            "missing: this is not a ClinicalTrials.gov study object", field="protocolSection"
        )
    return data
