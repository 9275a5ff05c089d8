"""Argument validation shared by the helpers, with messages that name the argument."""

from __future__ import annotations

from typing import Any

import numpy as np


def _int_at_least(value: Any, minimum: int, words: str, name: str, error: type[Exception]) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise error(f"{name} must be a {words} integer, got {value!r}.")
    return int(value)


def positive_int(value: Any, name: str, error: type[Exception] = ValueError) -> int:
    """Return `value` as an int if it is an integer >= 1 (not a bool), else raise `error`
    with a message naming `name`, e.g. "epochs must be a positive integer, got 2.5."."""
    return _int_at_least(value, 1, "positive", name, error)


def non_negative_int(value: Any, name: str, error: type[Exception] = ValueError) -> int:
    """Return `value` as an int if it is an integer >= 0 (not a bool), else raise `error`
    naming `name` (seeds, worker numbers)."""
    return _int_at_least(value, 0, "non-negative", name, error)
