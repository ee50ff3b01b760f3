"""The ``trialdesk`` command line (Typer): the edge where files are read and written."""

from trialdesk.cli.app import app, main

__all__ = ["app", "main"]
