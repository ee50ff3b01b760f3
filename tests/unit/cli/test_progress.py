"""The delayed progress bar: silent for quick work, visible for long work."""

from __future__ import annotations

import io

from rich.console import Console

from trialdesk.cli.progress import DelayedProgress


def test_quick_work_shows_nothing() -> None:
    stream = io.StringIO()
    with DelayedProgress("work", delay=60, console=Console(file=stream)) as progress:
        progress(5, 10)
        progress(10, 10)
    assert not progress.shown
    assert stream.getvalue() == ""


def test_long_work_shows_the_bar() -> None:
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=80)
    with DelayedProgress("simulating", delay=0, console=console) as progress:
        progress(5, 10)
    assert progress.shown
    assert "simulating" in stream.getvalue()
