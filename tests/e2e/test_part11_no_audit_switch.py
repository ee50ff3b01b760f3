"""PART11 A5: audit cannot be switched off; there is no such setting anywhere."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from trialdesk.cli import app
from trialdesk.service import trial as service_trial

SRC = Path(__file__).resolve().parents[2] / "src" / "trialdesk"


def _options(command: Any, path: str = "trialdesk") -> list[str]:
    """Every option of the command tree (typer ships its own click, so duck-typed)."""
    found = [f"{path} {name}" for p in command.params for name in p.opts]
    for name, sub in getattr(command, "commands", {}).items():
        found += _options(sub, f"{path} {name}")
    return found


def test_A5_no_command_has_an_option_that_touches_auditing() -> None:
    options = _options(typer.main.get_command(app))
    assert len(options) > 50  # the walk reaches every command's options
    assert [o for o in options if "audit" in o.split()[-1]] == []


def test_A5_no_write_function_takes_an_audit_switch() -> None:
    writers: list[Callable[..., object]] = [
        service_trial.init_trial,
        service_trial.record_event,
        service_trial.record_form_entry,
    ]
    parameters = [name for f in writers for name in inspect.signature(f).parameters]
    assert "actor" in parameters
    assert [name for name in parameters if "audit" in name] == []


def test_A5_no_environment_variable_or_setting_mentions_audit() -> None:
    reads = re.compile(r"(getenv|environ)\W[^\n]*", re.IGNORECASE)
    hits = [
        f"{path.relative_to(SRC)}: {line.group(0)}"
        for path in SRC.rglob("*.py")
        for line in reads.finditer(path.read_text("utf-8"))
        if "audit" in line.group(0).lower()
    ]
    assert hits == []
