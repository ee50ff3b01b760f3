"""A progress bar for long work that stays out of the way of short work."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import Progress, TaskID

__all__ = ["DelayedProgress"]

DELAY_SECONDS = 1.0


class DelayedProgress:
    """A Rich bar on stderr that appears only once the work has run ``delay`` seconds.

    Call it with (done, total) as work advances; use it as a context manager so the
    bar is cleared at the end. Quick runs print nothing.
    """

    def __init__(
        self, description: str, *, delay: float = DELAY_SECONDS, console: Console | None = None
    ) -> None:
        self._description = description
        self._delay = delay
        self._console = console or Console(stderr=True)
        self._started = time.monotonic()
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __call__(self, done: int, total: int) -> None:
        """Report progress; show the bar once the delay has passed."""
        if self._progress is None and time.monotonic() - self._started >= self._delay:
            self._progress = Progress(console=self._console, transient=True)
            self._progress.start()
            self._task = self._progress.add_task(self._description, total=total)
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=done, total=total)

    @property
    def shown(self) -> bool:
        """Whether the bar has appeared."""
        return self._progress is not None

    def __enter__(self) -> DelayedProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
