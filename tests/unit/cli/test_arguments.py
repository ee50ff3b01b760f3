"""Command-line values: parsed exactly, or refused naming the argument and the value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialdesk.cli.arguments import (
    parse_labels,
    parse_option_value,
    parse_options,
    parse_probabilities,
)
from trialdesk.errors import DesignInputError


def test_probabilities_and_labels() -> None:
    assert parse_probabilities("0.05, 0.15,0.30", "true_tox") == (0.05, 0.15, 0.30)
    assert parse_labels("-1,1,2") == (-1, 1, 2)
    assert parse_labels("1,1a") == (1, "1a")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.1,1.2", "a probability in [0, 1] at position 2"),
        ("0.1,x", "a number at position 2"),
        ("0.1,,0.3", "no empty item"),
        ("--start", "not another option"),
        ("0.1,nan", "a probability in [0, 1] at position 2"),
    ],
)
def test_bad_probabilities_name_the_argument(text: str, expected: str) -> None:
    with pytest.raises(DesignInputError, match="argument `true_tox`") as caught:
        parse_probabilities(text, "true_tox")
    assert expected in str(caught.value)


def test_increasing_is_enforced_when_asked() -> None:
    assert parse_probabilities("0.3,0.2", "skeleton") == (0.3, 0.2)
    with pytest.raises(DesignInputError, match="strictly increasing"):
        parse_probabilities("0.3,0.2", "skeleton", increasing=True)


def test_options() -> None:
    assert parse_options(["deescalate=false", "expand_top = true"]) == {
        "deescalate": "false",
        "expand_top": "true",
    }
    with pytest.raises(DesignInputError, match="NAME=VALUE"):
        parse_options(["deescalate"])
    with pytest.raises(DesignInputError, match="given once"):
        parse_options(["a=1", "a=2"])


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [("true", bool, True), ("false", bool, False), ("0.95", float, 0.95), ("3", int, 3)],
)
def test_option_values(text: str, kind: type, value: object) -> None:
    assert parse_option_value("x", text, kind) == value


@pytest.mark.parametrize(("text", "kind"), [("True", bool), ("1", bool), ("x", float)])
def test_bad_option_values(text: str, kind: type) -> None:
    with pytest.raises(DesignInputError, match=f"argument `x` got '{text}'"):
        parse_option_value("x", text, kind)


@given(st.lists(st.floats(0, 1), min_size=1, max_size=8))
def test_probabilities_round_trip(values: list[float]) -> None:
    assert parse_probabilities(",".join(repr(v) for v in values), "p") == tuple(values)
