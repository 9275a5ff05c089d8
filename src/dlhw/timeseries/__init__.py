"""Q3 time-series helpers: validated windows, chronological splits, train-only scaling,
scale-free targets, baselines and metrics.

The pieces follow TensorFlow's time-series tutorial: a `WindowGenerator` owns the lookback,
the horizon and the columns; statistics come from the training period only; every model
(baselines first) is scored into one table. Arrays are `x: (N, T, F)` (samples, time steps,
features) and `y: (N,)`; a window's inputs are rows `start..end` and its target is row
`end + horizon`, so a window never sees its own target.

Modules: `frames` (checks and feature columns), `windows` (windows, splits, hold-outs, leak
measures), `scaling` (`Scaler`), `metrics` (R², MAE, skill, scores), `models` (LSTM and
linear forecasters, the memoriser), `factorial` (the causes of the naive set-up's failure
ranked without an order, the answer's symptom as a predicate), `evaluation` (hold-out and leak
experiments, walk-forward). Every public name is re-exported here:
`from dlhw import timeseries as ts`.
"""

from dlhw.timeseries.evaluation import (
    AnswerFixData,
    answer_fix_data,
    holdout_r2,
    leak_metrics,
    leak_runs,
    score_holdout,
    walk_forward,
)
from dlhw.timeseries.factorial import (
    FACTORS,
    INPUT_SCALINGS,
    Symptom,
    cell_name,
    day_windows,
    levels_of,
    run_factorial,
    run_variant,
    run_windowed,
    shapley,
    shapley_by_seed,
    symptom_stats,
    variant,
)
from dlhw.timeseries.frames import (
    ANSWER_FEATURES,
    NAIVE_FEATURES,
    PRICE_COLUMNS,
    RETURN_FEATURES,
    SeriesError,
    add_return_features,
    naive_arrays,
    validate_frame,
    with_date_ordinal,
)
from dlhw.timeseries.metrics import mae, r2, return_skill, returns_to_prices, score, skill
from dlhw.timeseries.models import (
    Fitter,
    build_lstm,
    fit_lstm,
    forecast_returns,
    gate_saturation,
    linear_fitter,
    linear_forecast,
    lstm_fitter,
    memoriser,
    predict,
)
from dlhw.timeseries.scaling import Scaler
from dlhw.timeseries.windows import (
    SPLIT_NAMES,
    BlockSplit,
    Split,
    WindowGenerator,
    Windows,
    block_split,
    chronological_split,
    holdout_indices,
    leaked_fraction,
    overlapping,
    split_windows,
)

__all__ = [
    "FACTORS",
    "INPUT_SCALINGS",
    "Symptom",
    "cell_name",
    "day_windows",
    "run_factorial",
    "levels_of",
    "run_variant",
    "run_windowed",
    "shapley",
    "shapley_by_seed",
    "symptom_stats",
    "variant",
    "ANSWER_FEATURES",
    "NAIVE_FEATURES",
    "PRICE_COLUMNS",
    "RETURN_FEATURES",
    "SPLIT_NAMES",
    "AnswerFixData",
    "BlockSplit",
    "Fitter",
    "Scaler",
    "SeriesError",
    "Split",
    "WindowGenerator",
    "Windows",
    "add_return_features",
    "answer_fix_data",
    "block_split",
    "build_lstm",
    "chronological_split",
    "fit_lstm",
    "forecast_returns",
    "gate_saturation",
    "holdout_indices",
    "holdout_r2",
    "leak_metrics",
    "leak_runs",
    "leaked_fraction",
    "linear_fitter",
    "linear_forecast",
    "lstm_fitter",
    "mae",
    "memoriser",
    "naive_arrays",
    "overlapping",
    "predict",
    "r2",
    "return_skill",
    "returns_to_prices",
    "score",
    "score_holdout",
    "skill",
    "split_windows",
    "validate_frame",
    "walk_forward",
    "with_date_ordinal",
]
