"""Argument validation shared by the helpers, with messages that name the argument."""

from __future__ import annotations

from typing import Any

import numpy as np


def positive_int(value: Any, name: str, error: type[Exception] = ValueError) -> int:
    """Return `value` as an int if it is an integer >= 1 (not a bool), else raise `error`
    with a message naming `name`, e.g. "epochs must be a positive integer, got 2.5."."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise error(f"{name} must be a positive integer, got {value!r}.")
    return int(value)
