"""Write files so that a reader never sees half of one and nothing is clobbered unasked."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from trialdesk.errors import OutputExistsError, OutputWriteError

__all__ = ["write_text_atomic"]


def write_text_atomic(path: Path, text: str, *, overwrite: bool = False) -> None:
    """Write ``text`` to ``path`` in one step: all of it or, on any failure, nothing.

    The text goes to a temporary file in the same folder, is flushed to disk, then
    linked into place. Without ``overwrite`` the link fails if ``path`` exists,
    even when another process creates it meanwhile.

    Raises:
        OutputExistsError: ``path`` exists and ``overwrite`` is false.
        OutputWriteError: the folder is missing or not writable.
    """
    if not overwrite and path.exists():
        raise OutputExistsError(f"{path}: the file exists; pass --force to replace it")
    try:
        handle, temp_name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
    except OSError as exc:
        raise OutputWriteError(f"{path}: cannot write here: {exc.strerror}") from exc
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if overwrite:
            temp.replace(path)
        else:
            try:
                path.hardlink_to(temp)
            except FileExistsError:
                raise OutputExistsError(
                    f"{path}: the file exists; pass --force to replace it"
                ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
