"""Q3 metrics: R² and MAE (scikit-learn's, behind our input checks), skill versus a
reference forecast, and the comparison-table row for price forecasts. Inputs are (N,)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import mean_absolute_error, r2_score

from dlhw.timeseries.frames import SeriesError


def _pair(y_true, y_pred, name: str = "y_pred") -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true, dtype="float64").ravel()
    y_pred = np.asarray(y_pred, dtype="float64").ravel()
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise SeriesError(
            f"y_true and {name} must be non-empty and the same length, got "
            f"{y_true.size} and {y_pred.size}."
        )
    if not (np.isfinite(y_true).all() and np.isfinite(y_pred).all()):
        raise SeriesError(f"y_true and {name} must be finite (found NaN or infinity).")
    return y_true, y_pred


def r2(y_true, y_pred) -> float:
    """Coefficient of determination (`sklearn.metrics.r2_score`): 1 - SSE / SST; below 0
    means worse than the test mean."""
    y_true, y_pred = _pair(y_true, y_pred)
    if np.sum((y_true - y_true.mean()) ** 2) == 0:
        raise SeriesError("R² is undefined when y_true is constant.")
    return float(r2_score(y_true, y_pred))


def mae(y_true, y_pred) -> float:
    """Mean absolute error (`sklearn.metrics.mean_absolute_error`)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(mean_absolute_error(y_true, y_pred))


def skill(y_true, y_pred, y_reference) -> float:
    """Skill versus a reference forecast: 1 - MSE(model) / MSE(reference); 0 = no better."""
    y_true, y_pred = _pair(y_true, y_pred)
    _, y_reference = _pair(y_true, y_reference, "y_reference")
    reference = np.mean((y_true - y_reference) ** 2)
    if reference == 0:
        raise SeriesError("skill is undefined when the reference forecast is perfect.")
    return float(1 - np.mean((y_true - y_pred) ** 2) / reference)


def returns_to_prices(last_close, log_return) -> np.ndarray:
    """Price forecasts from predicted log-returns: last_close * exp(log_return), shapes (N,)."""
    last_close, log_return = _pair(last_close, log_return, "log_return")
    return last_close * np.exp(log_return)


def score(price_true, price_pred, last_close) -> dict[str, float]:
    """One row of the comparison table for price forecasts made from `last_close`:
    R² on prices, R² on log-returns, MAE on prices, skill versus persistence."""
    price_true, price_pred = _pair(price_true, price_pred, "price_pred")
    _, last_close = _pair(price_true, last_close, "last_close")
    if (price_pred <= 0).any():
        raise SeriesError("price_pred must be positive to score log-returns.")
    return {
        "r2_price": r2(price_true, price_pred),
        "r2_return": r2(np.log(price_true / last_close), np.log(price_pred / last_close)),
        "mae": mae(price_true, price_pred),
        "skill_vs_persistence": skill(price_true, price_pred, last_close),
    }


def return_skill(price_true, price_pred, last_close) -> dict[str, float]:
    """Why skill on prices and R² on returns can disagree in sign. With r the true and r̂
    the forecast log-return, a price error is about C_t (r̂ - r): skill on prices weighs each
    day's return error by C_t², R² on returns weighs every day alike. Returns the skill
    versus persistence (r̂ = 0) on returns unweighted and weighted by C_t², the skill on
    prices, and the R² on returns of the model and of persistence."""
    price_true, price_pred = _pair(price_true, price_pred, "price_pred")
    _, last_close = _pair(price_true, last_close, "last_close")
    truth, forecast = np.log(price_true / last_close), np.log(price_pred / last_close)
    weight = last_close**2
    return {
        "return_skill": skill(truth, forecast, np.zeros_like(truth)),
        "return_skill_price_weighted": float(
            1 - np.sum(weight * (truth - forecast) ** 2) / np.sum(weight * truth**2)
        ),
        "price_skill": skill(price_true, price_pred, last_close),
        "r2_return": r2(truth, forecast),
        "r2_return_persistence": r2(truth, np.zeros_like(truth)),
    }
