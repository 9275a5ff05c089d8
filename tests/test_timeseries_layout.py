"""dlhw.timeseries as a package: its public names are re-exported as `ts.<name>` and the Q3
notebook's calls resolve (the size limits: tests/test_layout.py)."""

import json
import re
from pathlib import Path

from dlhw import timeseries as ts

ROOT = Path(__file__).resolve().parents[1]

# The public names: those of the single module before the split, the ordered ablation
# (`ABLATION_ROWS`, `naive_ablation`) replaced by the factorial's.
PUBLIC = {
    *("FACTORS", "INPUT_SCALINGS", "Symptom", "cell_name", "day_windows", "run_factorial"),
    *("run_variant", "shapley", "shapley_by_seed", "symptom_stats", "variant"),
    *("levels_of", "run_windowed"),
    *("ANSWER_FEATURES", "NAIVE_FEATURES", "PRICE_COLUMNS"),
    *("RETURN_FEATURES", "SPLIT_NAMES", "AnswerFixData", "BlockSplit", "Fitter", "Scaler"),
    *("SeriesError", "Split", "WindowGenerator", "Windows", "add_return_features"),
    *("answer_fix_data", "block_split", "build_lstm", "chronological_split", "fit_lstm"),
    *("forecast_returns", "gate_saturation", "holdout_indices", "holdout_r2", "leak_metrics"),
    *("leak_runs", "leaked_fraction", "linear_fitter", "linear_forecast", "lstm_fitter"),
    *("mae", "memoriser", "naive_arrays", "overlapping", "predict", "r2"),
    *("return_skill", "returns_to_prices", "score", "score_holdout", "skill"),
    *("split_windows", "validate_frame", "walk_forward", "with_date_ordinal"),
}


def test_every_public_name_is_re_exported():
    assert set(ts.__all__) == PUBLIC
    assert all(hasattr(ts, name) for name in PUBLIC)


def test_the_q3_notebook_names_resolve():
    cells = json.loads((ROOT / "notebooks" / "Q3_lstm_fix.ipynb").read_text())["cells"]
    code = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    used = set(re.findall(r"\bts\.(\w+)", code))
    assert used and used <= PUBLIC
