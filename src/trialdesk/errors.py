"""The one tree of trialdesk's errors.

Every error the library raises on purpose derives from :class:`TrialdeskError`,
so an edge (CLI, API) can catch that one class and show its message instead of a
traceback. Each carries the context a reader needs to fix the input: the file,
the field (as a dotted path) and the value it got.

::

    TrialdeskError
    └── RecordError              the registry record cannot be imported
        ├── RecordFormatError    not JSON / not a record page / not a study object
        ├── RecordContentError   a required field is missing or has a bad value
        └── RecordRefusedError   a valid study that trialdesk does not run
                                 (observational, withdrawn, ...)
    └── StudyFileError           a study.yaml cannot be read or does not validate
    └── OutputExistsError        refusing to overwrite a file without --force
    └── OutputWriteError         the output folder is missing or not writable
    └── InputError               an argument out of its domain (names the argument,
        │                        the value and what was expected)
        ├── DesignInputError     dose finding
        ├── (store/) PrescreenInputError  a registry value the pre-screen tables cannot
        │                        hold exactly (over 6 decimals, beyond 10^12)
        └── (clinical/) ClinicalInputError, and under it UnitError, GliInputError,
                        SgrqInputError, AssessmentInputError
    └── NotFoundError            a trial, subject or record the command names is not there
    └── ConductError             a trial event or computation refused (names its rule)
        ├── TransitionRefusedError  an event impossible in the trial's current state
        ├── DoseRefusedError        an infusion dose not computed: weight missing, too
        │                           old, implausible or after the infusion; product out
        │                           of tolerance or failing its release specification
        └── VisitScheduleError      visits recorded that the schedule cannot place
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "ConductError",
    "DesignInputError",
    "DoseRefusedError",
    "InputError",
    "NotFoundError",
    "OutputExistsError",
    "OutputWriteError",
    "RecordContentError",
    "RecordError",
    "RecordFormatError",
    "RecordRefusedError",
    "StudyFileError",
    "TransitionRefusedError",
    "TrialdeskError",
    "VisitScheduleError",
]


class TrialdeskError(Exception):
    """Base of every error trialdesk raises deliberately."""


class RecordError(TrialdeskError):
    """A registry record that cannot become a study definition.

    ``field`` is the dotted path inside the record (``protocolSection.designModule``)
    or ``None`` when the whole file is at fault.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message if field is None else f"{field}: {message}")


class RecordFormatError(RecordError):
    """The input is not a ClinicalTrials.gov study in a format we read."""


class RecordContentError(RecordError):
    """A study object whose content is missing or invalid where we need it."""


class RecordRefusedError(RecordError):
    """A valid record of a study that trialdesk does not run (e.g. observational)."""


class StudyFileError(TrialdeskError):
    """A study definition file that cannot be parsed or validated."""


class OutputExistsError(TrialdeskError):
    """The output file exists and overwriting was not asked for."""


class OutputWriteError(TrialdeskError):
    """The output file cannot be created (missing folder, no permission)."""


class InputError(TrialdeskError):
    """An argument outside its domain: names the argument, the value and what was expected.

    The base of the domain cores' input errors, so every such message reads the
    same ("argument `x` got 1.2; expected a probability in [0, 1]") and the command
    line can show it as is.
    """

    def __init__(self, argument: str, value: object, expected: str) -> None:
        self.argument = argument
        self.value = value
        self.expected = expected
        super().__init__(f"argument `{argument}` got {value!r}; expected {expected}")


class DesignInputError(InputError):
    """A dose-finding input outside its domain: a probability above 1, an unknown label."""


class NotFoundError(TrialdeskError):
    """A trial, subject or record named by the caller does not exist."""


class ConductError(TrialdeskError):
    """A trial event or computation refused; ``rule`` names the rule that refused it."""

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        super().__init__(f"refused ({rule}): {message}")


class TransitionRefusedError(ConductError):
    """An event impossible in the trial's current state; nothing was changed."""


def _with_inputs(message: str, inputs: Mapping[str, object]) -> str:
    shown = "; ".join(f"{name}={value}" for name, value in inputs.items())
    return f"{message} [inputs: {shown}]" if shown else message


class DoseRefusedError(ConductError):
    """An infusion dose refused; ``inputs`` holds each value the rule looked at, by name."""

    def __init__(self, rule: str, message: str, inputs: Mapping[str, object]) -> None:
        self.inputs = dict(inputs)
        super().__init__(rule, _with_inputs(message, self.inputs))


class VisitScheduleError(ConductError):
    """Recorded visits the schedule cannot place (an unknown visit, a date after today)."""

    def __init__(self, rule: str, message: str, inputs: Mapping[str, object]) -> None:
        self.inputs = dict(inputs)
        super().__init__(rule, _with_inputs(message, self.inputs))
