"""Q6 (a) repeated: the runs that carry a verdict, trained again on more seeds, and the
largest stable learning rate of the grid.

The rates are chosen once, on the first seed's grid (`bn_experiments.learning_rate_runs`);
`repeat_runs` trains only the chosen (norm, rate) pairs on the other seeds (the seed sets the
initial weights and the batch order) and reuses the grid's runs for the first seed.
`seed_summary` gives each run's mean and spread over the seeds: epochs and seconds to the
target (a seed that does not reach it counts as one epoch more than the run had, and as the
time of all its epochs: stated, not hidden), and the final validation accuracy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from dlhw.errors import DlhwError


class SeedsError(DlhwError, ValueError):
    """Runs or choices that cannot be repeated or summarised."""


def largest_stable_rate(summary, norm: str) -> dict[str, Any]:
    """The largest learning rate at which `norm`'s run of the grid finished every epoch
    without diverging (`summarize_runs`' frame), and whether it is the grid's largest rate
    (then the true limit is at least that)."""
    rows = summary[summary["norm"] == norm]
    if rows.empty:
        raise SeedsError(f"the grid has no run of norm {norm!r}.")
    stable = rows[rows["val_accuracy"].notna()]["learning_rate"]
    return {
        "rate": float(stable.max()) if len(stable) else float("nan"),
        "grid_top": bool(len(stable)) and float(stable.max()) == float(rows["learning_rate"].max()),
    }


def repeat_runs(
    splits,
    chosen: Mapping[str, tuple[str, float]],
    seeds: Iterable[int],
    *,
    epochs: int,
    grid: Mapping[tuple[str, float], dict[str, Any]] | None = None,
    grid_seed: int = 0,
) -> dict[str, dict[int, dict[str, Any]]]:
    """label -> seed -> `train_curves` curves for each chosen (norm, learning rate), norm
    "plain" or "batch". Runs of `grid` (trained with `grid_seed`) are reused for that seed."""
    from dlhw import bn_experiments as bx

    found: dict[str, dict[int, dict[str, Any]]] = {label: {} for label in chosen}
    for label, (norm, rate) in chosen.items():
        if norm not in ("plain", "batch"):
            raise SeedsError(f"norm must be 'plain' or 'batch', got {norm!r} for {label!r}.")
        for seed in dict.fromkeys(int(s) for s in seeds):
            if grid is not None and seed == grid_seed and (norm, float(rate)) in grid:
                found[label][seed] = grid[(norm, float(rate))]
                continue
            runs = bx.learning_rate_runs(
                splits,
                learning_rates=(float(rate),),
                norms=(None if norm == "plain" else norm,),
                epochs=epochs,
                seed=seed,
            )
            found[label][seed] = runs[(norm, float(rate))]
            print(f"{label} (lr {rate:g}), seed {seed}: done", flush=True)
    return found


def _censored(curves: Mapping[str, Any], target: float, epochs: int) -> tuple[float, float, bool]:
    """(epochs to target, seconds to target, reached); not reached: epochs + 1 and the time of
    all the epochs run."""
    from dlhw import bn_experiments as bx

    reached = bx.epochs_to_target(curves["val_accuracy"], target)
    if reached is None:
        return float(epochs + 1), float(sum(curves["epoch_s"])), False
    return float(reached), float(sum(curves["epoch_s"][:reached])), True


def seed_summary(
    runs: Mapping[str, Mapping[int, Mapping[str, Any]]], *, target: float, epochs: int
) -> dict[str, dict[str, float]]:
    """Per label of `repeat_runs`: mean and s.d. over seeds of the epochs and seconds to the
    target (censored, see the module), how many seeds reached it, and the mean and s.d. of the
    final validation accuracy (NaN when a seed diverged). Keys are metric names."""
    out: dict[str, dict[str, float]] = {
        name: {}
        for name in (
            "seed_epochs_mean", "seed_epochs_std", "seed_seconds_mean", "seed_seconds_std",
            "seed_reached", "seed_final_mean", "seed_final_std",
        )
    }  # fmt: skip
    for label, by_seed in runs.items():
        if not by_seed:
            raise SeedsError(f"{label!r} has no runs.")
        rows = np.array([_censored(c, target, epochs) for c in by_seed.values()])
        final = np.array(
            [
                c["val_accuracy"][-1] if c["diverged_at"] is None else np.nan
                for c in by_seed.values()
            ]
        )
        ddof = 1 if len(rows) > 1 else 0
        out["seed_epochs_mean"][label] = float(rows[:, 0].mean())
        out["seed_epochs_std"][label] = float(rows[:, 0].std(ddof=ddof))
        out["seed_seconds_mean"][label] = float(rows[:, 1].mean())
        out["seed_seconds_std"][label] = float(rows[:, 1].std(ddof=ddof))
        out["seed_reached"][label] = int(rows[:, 2].sum())
        out["seed_final_mean"][label] = float(final.mean())
        out["seed_final_std"][label] = float(final.std(ddof=ddof))
    return out


def spread(summary: Mapping[str, Mapping[str, float]], kind: str, labels: Iterable[str]) -> float:
    """The larger s.d. of `kind` ("epochs" or "seconds") over the given labels: a comparison's
    margin unit."""
    return float(max(summary[f"seed_{kind}_std"][label] for label in labels))


def seed_metrics(summary: Mapping[str, Mapping[str, float]], seeds: int) -> dict[str, Any]:
    """Q6's recorded numbers from `seed_summary` of the runs "plain", "bn_best" and
    "bn_plain_rate": the summary plus the seed count and each comparison's margin unit."""
    return {
        **summary,
        "seed_count": int(seeds),
        "seed_epochs_spread": spread(summary, "epochs", ("plain", "bn_best")),
        "seed_seconds_spread": spread(summary, "seconds", ("plain", "bn_best")),
        "seed_equal_spread": spread(summary, "epochs", ("plain", "bn_plain_rate")),
    }


def equal_rate_growth(runs: Mapping[str, Mapping[int, Mapping[str, Any]]], rate: float):
    """Per seed, `bn_weights.growth_pairs` of "plain" against "bn_plain_rate" (the same rate):
    (pairs of a kernel that feeds a BN, of which BN's grew less)."""
    from dlhw import bn_weights

    pairs = less = 0
    for seed in runs["plain"]:
        table = bn_weights.growth_pairs(
            {("plain", rate): runs["plain"][seed], ("batch", rate): runs["bn_plain_rate"][seed]}
        )
        feeding = table[table["feeds_bn"]]
        pairs, less = pairs + len(feeding), less + int(feeding["bn_grows_less"].sum())
    return pairs, less
