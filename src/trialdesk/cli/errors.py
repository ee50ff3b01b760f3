"""Turn deliberate errors into one line on stderr and exit status 2 (never a traceback)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import typer

from trialdesk.errors import RecordRefusedError, TrialdeskError

__all__ = ["EXIT_BAD_INPUT", "user_errors"]

EXIT_BAD_INPUT = 2


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Catch a :class:`TrialdeskError` (or an OS error) and exit with status 2."""
    try:
        yield
    except RecordRefusedError as error:
        typer.echo(f"refused: {error}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (TrialdeskError, OSError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
