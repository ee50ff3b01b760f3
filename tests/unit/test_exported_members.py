"""Each package's ``__all__`` is exactly its public surface (httpx's test, same idea)."""

from __future__ import annotations

import importlib
import types

import pytest

PACKAGES = [
    "trialdesk.protocol",
    "trialdesk.design",
    "trialdesk.clinical",
    "trialdesk.eligibility",
    "trialdesk.conduct",
    "trialdesk.service",
    "trialdesk.store",
    "trialdesk.cli",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_lists_every_public_name_and_only_those(name: str) -> None:
    package = importlib.import_module(name)
    public = {
        attr
        for attr in dir(package)
        if not attr.startswith("_") and not isinstance(getattr(package, attr), types.ModuleType)
    }
    assert set(package.__all__) == public
    assert len(package.__all__) == len(set(package.__all__))
