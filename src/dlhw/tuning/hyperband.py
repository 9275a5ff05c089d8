"""Hyperband's epoch budget: the schedule KerasTuner runs, and the formulas beside it."""

from __future__ import annotations

import math

from dlhw.checks import positive_int


def _brackets(max_epochs: int, factor: int) -> int:
    """Hyperband's number of brackets: how many times `max_epochs` divides by `factor` down to
    1, i.e. floor(log_factor(max_epochs)) + 1, counted without floating-point logarithms."""
    n_brackets, e = 0, float(max_epochs)
    while e >= 1:
        e /= factor
        n_brackets += 1
    return n_brackets


def hyperband_budget(max_epochs: int, factor: int = 3) -> tuple[int, int]:
    """(epochs, trials) of one Hyperband iteration as KerasTuner schedules it.

    Brackets s = s_max..0 (s_max + 1 = number of times `max_epochs` divides by `factor`
    down to 1); in round r of bracket s, ceil(n_s * factor**(s - r)) trials train up to
    ceil(max_epochs / factor**(s - r)) epochs, resuming from the previous round's epochs.
    About (floor(log_factor(max_epochs)) + 1)**2 * max_epochs epochs, more after the rounding
    (Li et al., JMLR 2018, Algorithm 1): for max_epochs 6 and factor 3 the schedule is 36
    epochs. KerasTuner's docstring gives max_epochs * log_factor(max_epochs)**2 (16 here), an
    approximation, not an identity.
    """
    positive_int(max_epochs, "max_epochs")
    if not isinstance(factor, int) or factor < 2:
        raise ValueError(f"factor must be an integer >= 2, got {factor!r}.")
    n_brackets = _brackets(max_epochs, factor)
    end0 = math.ceil(1 + math.log(max_epochs, factor))
    epochs = trials = 0
    for s in range(n_brackets):
        prev = 0
        for r in range(s + 1):
            size = math.ceil(end0 / (s + 1) * factor ** (s - r))
            upto = math.ceil(max_epochs / factor ** (s - r))
            epochs += size * (upto - prev)
            trials += size
            prev = upto
    return epochs, trials


def hyperband_estimates(max_epochs: int, factor: int = 3) -> dict[str, float]:
    """Epochs of one Hyperband iteration three ways, so a page can put the formulas beside the
    schedule: KerasTuner's docstring (max_epochs * log_factor(max_epochs)**2), Li et al.'s
    (floor(log_factor(max_epochs)) + 1)**2 * max_epochs, and the real schedule
    (`hyperband_budget`), which rounds every bracket's trials and epochs up."""
    epochs, _ = hyperband_budget(max_epochs, factor)
    return {
        "keras_tuner_docstring": max_epochs * math.log(max_epochs, factor) ** 2,
        "li_et_al": float(_brackets(max_epochs, factor) ** 2 * max_epochs),
        "schedule": float(epochs),
    }
