"""Q1's reports: run a search and summarise it (`run_search`, `SearchReport`), the tables a
notebook shows (trials, top trials, tuners compared, spaces compared, sizes, a space's
hyperparameters), the best-so-far curve, the verdict sentence, and model sizes (parameters,
FLOPs). Validation (held out from train) drives the search; the test set is not used here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import keras
import keras_tuner
import numpy as np

from dlhw.checks import positive_int
from dlhw.tuning.data import SearchData
from dlhw.tuning.settings import TuningError
from dlhw.tuning.spaces import OBJECTIVE


def flops_per_image(model: keras.Model) -> int:
    """Floating-point operations (2 per multiply-add) of one forward pass through Conv2D and
    Dense layers (the rest is negligible): 2 * H_out * W_out * k_h * k_w * C_in * C_out per
    convolution, 2 * D_in * D_out per dense layer."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            _, h, w, c_out = layer.output.shape
            k_h, k_w = layer.kernel_size
            c_in = layer.input.shape[-1]
            total += 2 * h * w * k_h * k_w * c_in * c_out
        elif isinstance(layer, keras.layers.Dense):
            total += 2 * layer.input.shape[-1] * layer.units
    return int(total)


@dataclass(frozen=True)
class SearchReport:
    """What one tuner did: best validation accuracy, epochs really run, trials, minutes."""

    kind: str
    best_val_accuracy: float
    epochs: int
    trials: int
    failed_trials: int
    minutes: float
    best_hyperparameters: dict[str, Any]

    def row(self) -> dict[str, Any]:
        """The record's entry: best_val_accuracy, epochs, trials, minutes."""
        return {
            "best_val_accuracy": round(self.best_val_accuracy, 4),
            "epochs": self.epochs,
            "trials": self.trials,
            "minutes": round(self.minutes, 2),
        }


def run_search(tuner, data: SearchData, *, verbose: int = 0) -> SearchReport:
    """Run (or resume) `tuner` on `data.x_search` with `data.x_val` as the objective's data.

    Wall time accumulates in the project folder, so a resumed search reports its total.
    """
    tuner.search(
        data.x_search,
        data.y_search,
        validation_data=(data.x_val, data.y_val),
        epochs=tuner.max_epochs,
        verbose=verbose,
    )
    return report(tuner, tuner.save_search_time())


def report(tuner, seconds: float) -> SearchReport:
    """Summarise a finished search (see `SearchReport`)."""
    trials = list(tuner.oracle.trials.values())
    completed = [t for t in trials if t.status == "COMPLETED"]
    failed = [t for t in trials if t.status == "FAILED"]
    if not completed:
        raise RuntimeError(f"{tuner.kind}: no trial completed ({len(failed)} failed).")
    best = tuner.oracle.get_best_trials(1)[0]
    return SearchReport(
        kind=tuner.kind,
        best_val_accuracy=float(best.score),
        epochs=tuner.epochs_spent(),
        trials=len(completed),
        failed_trials=len(failed),
        minutes=seconds / 60,
        best_hyperparameters=public_values(best.hyperparameters),
    )


def top_trials(tuner, n: int = 3) -> Any:
    """The `n` best completed trials: score (validation accuracy) and hyperparameters, one
    row each (a compact `results_summary()` that prints no paths)."""
    import pandas as pd

    positive_int(n, "n")
    rows = {
        f"trial {t.trial_id}": {
            "score": round(float(t.score), 4),
            **public_values(t.hyperparameters),
        }
        for t in tuner.oracle.get_best_trials(n)
    }
    return pd.DataFrame(rows).T


def trial_table(tuner) -> Any:
    """Every trial of a search in the order it was created: status, score (validation
    accuracy), the epochs it really ran (from the epoch log), for Hyperband the trial whose
    checkpoint it continues (`continues`), then its hyperparameters. The prose about a search
    (which trial won, which configurations repeat) is read from this table."""
    import pandas as pd

    ran = Counter(row["trial"] for row in tuner.epoch_log())
    rows = {}
    for trial_id in sorted(tuner.oracle.trials):
        trial = tuner.oracle.trials[trial_id]
        rows[trial_id] = {
            "status": trial.status,
            "score": None if trial.score is None else round(float(trial.score), 4),
            "epochs_run": ran.get(trial_id, 0),
            "continues": trial.hyperparameters.values.get("tuner/trial_id"),
            **public_values(trial.hyperparameters),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    if frame.empty or frame["continues"].isna().all():
        frame = frame.drop(columns="continues", errors="ignore")
    frame.index.name = "trial"
    return frame


def public_values(hp: keras_tuner.HyperParameters) -> dict[str, Any]:
    """The active hyperparameter values, without Hyperband's `tuner/...` bookkeeping."""
    return {k: v for k, v in hp.values.items() if not k.startswith("tuner/")}


def best_so_far(tuner) -> tuple[np.ndarray, np.ndarray]:
    """(cumulative epochs (E,), best validation accuracy seen up to each epoch (E,))."""
    accuracies = np.array([row[OBJECTIVE] for row in tuner.epoch_log()], dtype=float)
    return np.arange(1, len(accuracies) + 1), np.fmax.accumulate(accuracies)


def comparison_table(reports: list[SearchReport]):
    """One row per tuner: best validation accuracy, epochs, trials, failed, minutes."""
    import pandas as pd

    rows = [{"tuner": r.kind, **r.row(), "failed": r.failed_trials} for r in reports]
    return pd.DataFrame(rows).set_index("tuner")


def space_table(searches: dict[str, tuple[Any, SearchReport]]) -> Any:
    """One row per searched space (name -> (tuner, its report)): best validation accuracy,
    epochs, trials (completed and failed), minutes, the median seconds of one epoch, and the
    parameters of the best trial's model (rebuilt from its hyperparameters, not trained)."""
    import pandas as pd

    rows = {}
    for name, (tuner, rep) in searches.items():
        seconds = [row["seconds"] for row in tuner.epoch_log()]
        best = tuner.oracle.get_best_trials(1)[0]
        rows[name] = {
            **rep.row(),
            "failed": rep.failed_trials,
            "epoch_seconds": round(float(np.median(seconds)), 2) if seconds else None,
            "best_params": int(tuner.hypermodel.build(best.hyperparameters).count_params()),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "space"
    return frame


def parameter_breakdown(model: keras.Model) -> dict[str, int]:
    """The numbers behind `model.summary()`: trainable and non-trainable weights (their sum is
    `count_params()`, the model's size) and the optimizer's state, which the summary's
    "Total params" adds once the model has trained (Adam: two moments per weight, plus its
    step counters)."""
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    optimizer = model.optimizer
    state = sum(int(np.prod(v.shape)) for v in optimizer.variables) if optimizer else 0
    return {
        "trainable": trainable,
        "non_trainable": non_trainable,
        "model": trainable + non_trainable,
        "optimizer": state,
        "summary_total": trainable + non_trainable + state,
    }


def best_overall(reports: list[SearchReport]) -> SearchReport:
    """The report with the highest best validation accuracy (the first one on a tie)."""
    if not reports:
        raise TuningError("reports must hold at least one SearchReport, got none.")
    return max(reports, key=lambda r: r.best_val_accuracy)


def verdict(reports: list[SearchReport]) -> str:
    """One sentence: which tuner found the best validation accuracy, at what cost, by how much.
    Gaps are differences of the 4-decimal values printed, so that they add up on the page."""
    if not reports:
        raise TuningError("verdict needs at least one SearchReport; got an empty list.")
    ranked = sorted(reports, key=lambda r: r.best_val_accuracy, reverse=True)
    lines = [
        f"{ranked[0].kind} won: best validation accuracy {ranked[0].best_val_accuracy:.4f} "
        f"after {ranked[0].epochs} epochs, {ranked[0].trials} trials, {ranked[0].minutes:.1f} min."
    ]
    for other in ranked[1:]:  # the gap between the printed (rounded) values: one number per fact
        gap = 100 * (round(ranked[0].best_val_accuracy, 4) - round(other.best_val_accuracy, 4))
        lines.append(
            f"  {other.kind}: {other.best_val_accuracy:.4f} ({gap:.2f} points behind), "
            f"{other.epochs} epochs, {other.trials} trials, {other.minutes:.1f} min"
        )
    return "\n".join(lines)


def size_table(models: dict[str, keras.Model]) -> Any:
    """Parameters and per-image MFLOPs of each named model (see `flops_per_image`)."""
    import pandas as pd

    rows = {
        name: {"parameters": m.count_params(), "MFLOPs per image": flops_per_image(m) / 1e6}
        for name, m in models.items()
    }
    return pd.DataFrame(rows).T.astype({"parameters": int}).round(2)


def describe_space(space: keras_tuner.HyperParameters) -> Any:
    """A table of a search space (e.g. `CNNHyperModel().space()`): name, type, values or
    range, and the condition under which the hyperparameter exists."""
    import pandas as pd

    rows = []
    for hp in space.space:
        config = hp.get_config()
        if "values" in config:
            values = ", ".join(str(v) for v in config["values"])
        elif "min_value" in config:
            step = config.get("step")
            values = f"{config['min_value']}..{config['max_value']}"
            values += f" step {step}" if step else f" ({config.get('sampling', 'linear')})"
        else:
            values = "True, False" if type(hp).__name__ == "Boolean" else str(config)
        conditions = "; ".join(
            f"{c.get_config()['name']} in {c.get_config()['values']}" for c in hp.conditions
        )
        rows.append(
            {"name": hp.name, "type": type(hp).__name__, "values": values, "if": conditions}
        )
    return pd.DataFrame(rows).set_index("name")


def error_pairs(y_true: np.ndarray, y_pred: np.ndarray, top: int = 8) -> Any:
    """The `top` most frequent (true digit, predicted digit) mistakes, most frequent first, with
    their count and share of all errors (ties broken by true, then predicted digit)."""
    import pandas as pd

    positive_int(top, "top", TuningError)
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise TuningError("error_pairs needs two label vectors (N,) of one length.")
    wrong = y_true != y_pred
    counts = Counter(zip(y_true[wrong].tolist(), y_pred[wrong].tolist(), strict=True))
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
    table = pd.DataFrame(
        [(t, p, n, n / max(int(wrong.sum()), 1)) for (t, p), n in rows],
        columns=["true", "predicted", "count", "share_of_errors"],
    )
    return table
