"""Reading record text: both formats, and refusals that name what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import json_values
from trialdesk.errors import RecordFormatError
from trialdesk.protocol.record import parse_record_text

MINIMAL = {"protocolSection": {"identificationModule": {"nctId": "NCT00000001"}}}


def test_reads_the_seed_record_page(seed_record_path: Path) -> None:
    study = parse_record_text(seed_record_path.read_text(encoding="utf-8"))
    ident = study["protocolSection"]["identificationModule"]
    assert ident["nctId"] == "NCT07329959"
    # The page writes Python literals: False must come back as a real boolean.
    assert study["hasResults"] is False


def test_reads_bare_json() -> None:
    assert parse_record_text(json.dumps(MINIMAL)) == MINIMAL


def test_reads_first_study_of_a_search_page() -> None:
    second = {"protocolSection": {"identificationModule": {"nctId": "NCT00000002"}}}
    page = {"studies": [MINIMAL, second], "nextPageToken": "x"}
    assert parse_record_text(json.dumps(page)) == MINIMAL


def test_reads_json_with_a_byte_order_mark() -> None:
    assert parse_record_text("\ufeff" + json.dumps(MINIMAL)) == MINIMAL


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty"),
        ("hello world", "not JSON and not a record page"),
        ("{not json", "not valid JSON (line 1"),
        ("[1, 2]", "top level is a list"),
        ('{"studies": []}', "studies: the search page holds no studies"),
        ('{"studies": [3]}', "studies[0]: is not a study object"),
        ('{"nctId": "NCT1"}', "protocolSection: missing"),
        ('{"protocolSection": []}', "protocolSection: missing"),
        ("Header\nRaw JSON\n\n{'a': __import__('os')}", "not a readable literal"),
        ("Header\nRaw JSON\n\nnothing here", "no study object follows"),
    ],
)
def test_refuses_what_is_not_a_study(text: str, expected: str) -> None:
    with pytest.raises(RecordFormatError) as caught:
        parse_record_text(text)
    assert expected in str(caught.value)


@given(st.text())
def test_arbitrary_text_gives_a_study_or_a_format_error(text: str) -> None:
    try:
        study = parse_record_text(text)
    except RecordFormatError:
        return
    assert isinstance(study.get("protocolSection"), dict)


@given(json_values)
def test_arbitrary_json_gives_a_study_or_a_format_error(value: object) -> None:
    try:
        study = parse_record_text(json.dumps(value))
    except RecordFormatError:
        return
    assert isinstance(study.get("protocolSection"), dict)
