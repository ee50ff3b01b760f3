"""Shared fixtures: where the test data lives."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA = REPO_ROOT / "tests" / "data"
RECORDS = DATA / "records"
SEED_RECORD = REPO_ROOT / "studies" / "NCT07329959" / "record.txt"
SEED_STUDY = REPO_ROOT / "studies" / "NCT07329959" / "study.yaml"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def records_dir() -> Path:
    return RECORDS


@pytest.fixture(scope="session")
def seed_record_path() -> Path:
    return SEED_RECORD
