"""Typed, path-aware reads from an untyped registry record.

Every read names the record path it looked at, so a missing or malformed field
is reported as ``protocolSection.designModule.studyType: ...`` rather than as a
``KeyError`` deep in the importer.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from trialdesk.errors import RecordContentError

__all__ = ["Node"]

E = TypeVar("E", bound=StrEnum)


class Node:
    """A position in the record: a JSON value and the path that leads to it."""

    __slots__ = ("path", "value")

    def __init__(self, value: object, path: str) -> None:
        self.value = value
        self.path = path

    def __repr__(self) -> str:
        return f"Node({self.path!r})"

    def child(self, key: str) -> Node:
        """The value under ``key`` (``None`` when absent); fails if this is not an object."""
        data = self._object()
        return Node(data.get(key), f"{self.path}.{key}" if self.path else key)

    def items(self) -> list[Node]:
        """The elements of a list (empty when absent); fails if this is not a list."""
        if self.value is None:
            return []
        if not isinstance(self.value, list):
            raise self.error(f"expected a list, got {_kind(self.value)}")
        return [Node(item, f"{self.path}[{i}]") for i, item in enumerate(self.value)]

    def present(self) -> bool:
        """Whether the record holds a value here."""
        return self.value is not None

    def require(self) -> Node:
        """This node, or an error naming the path when it is missing."""
        if self.value is None:
            raise self.error("missing: the record has no such field")
        return self

    def text(self) -> str | None:
        """A string value (stripped), ``None`` when absent or blank."""
        if self.value is None:
            return None
        if not isinstance(self.value, str):
            raise self.error(f"expected text, got {_kind(self.value)}")
        return self.value.strip() or None

    def required_text(self) -> str:
        """A string value that must be present and not blank."""
        value = self.text()
        if value is None:
            raise self.error("missing: the record has no text here")
        return value

    def texts(self) -> tuple[str, ...]:
        """A list of strings."""
        values = [node.text() for node in self.items()]
        return tuple(value for value in values if value is not None)

    def integer(self) -> int | None:
        """An integer value; booleans and floats are refused."""
        if self.value is None:
            return None
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.error(f"expected a whole number, got {self.value!r}")
        return self.value

    def boolean(self) -> bool | None:
        """A true/false value."""
        if self.value is None:
            return None
        if not isinstance(self.value, bool):
            raise self.error(f"expected true or false, got {self.value!r}")
        return self.value

    def enum(self, kind: type[E]) -> E | None:
        """A value of a registry enumeration; an unknown value is refused by name."""
        raw = self.text()
        if raw is None:
            return None
        try:
            return kind(raw)
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            raise self.error(
                f"unknown value {raw!r} for {kind.__name__}; expected one of: {allowed}"
            ) from None

    def required_enum(self, kind: type[E]) -> E:
        """A value of a registry enumeration that must be present."""
        value = self.enum(kind)
        if value is None:
            raise self.error(f"missing: expected a {kind.__name__} value")
        return value

    def enums(self, kind: type[E]) -> tuple[E, ...]:
        """A list of values of a registry enumeration."""
        values = [node.enum(kind) for node in self.items()]
        return tuple(value for value in values if value is not None)

    def error(self, message: str) -> RecordContentError:
        """An error about this field, to raise."""
        return RecordContentError(message, field=self.path)

    def _object(self) -> dict[str, Any]:
        if self.value is None:
            return {}
        if not isinstance(self.value, dict):
            raise self.error(f"expected an object, got {_kind(self.value)}")
        return self.value


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "text", bool: "true/false"}
    return names.get(type(value), f"a {type(value).__name__}")
