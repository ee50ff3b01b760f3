"""Our registry enumerations equal the API v2 OpenAPI document's (version 2.0.5)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from trialdesk.protocol import registry_enums

SPEC = Path(__file__).resolve().parents[2] / "data" / "schemas" / "ctg-oas-v2.yaml"


@pytest.fixture(scope="module")
def schemas() -> dict[str, dict[str, object]]:
    spec = YAML(typ="safe").load(SPEC.read_text(encoding="utf-8"))
    assert spec["info"]["version"] == "2.0.5"
    return dict(spec["components"]["schemas"])


@pytest.mark.parametrize("name", registry_enums.__all__)
def test_enum_matches_the_openapi_document(
    name: str, schemas: dict[str, dict[str, object]]
) -> None:
    ours: type[StrEnum] = getattr(registry_enums, name)
    assert [member.value for member in ours] == schemas[name]["enum"]
