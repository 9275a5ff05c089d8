"""Q3 scaling: scikit-learn's `StandardScaler` / `MinMaxScaler` behind a thin wrapper that
reshapes windows and says clearly what is wrong with its input.

scikit-learn's scalers take 2-D data (samples, features); the wrapper flattens x (N, T, F)
to (N * T, F), so each feature gets one statistic over all samples and time steps, and y (N,)
to (N, 1), and gives every result back in the shape it came in.
"""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from dlhw.timeseries.frames import SeriesError

_ESTIMATORS = {"standard": StandardScaler, "minmax": MinMaxScaler}


class Scaler:
    """Per-feature scaling over the last axis, fitted on the training data only.

    kind="standard": (x - mean) / std; kind="minmax": (x - min) / (max - min), in [0, 1] on
    the data it was fitted on. Works on x (N, F) or (N, T, F) and y (N,). After `fit`,
    `offset_` (F,) is the mean or the minimum and `scale_` (F,) the standard deviation or
    the range, 1 for a constant feature.
    """

    KINDS = tuple(_ESTIMATORS)

    def __init__(self, kind: str = "standard") -> None:
        if kind not in self.KINDS:
            raise SeriesError(f"kind must be one of {self.KINDS}, got {kind!r}.")
        self.kind = kind
        self.offset_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None
        self._estimator: StandardScaler | MinMaxScaler | None = None
        self._ndim = 0

    def fit(self, data: np.ndarray) -> Scaler:
        """Learn the per-feature statistics of `data` (N, F), (N, T, F) or (N,)."""
        data = np.asarray(data, dtype="float64")
        if data.size == 0:
            raise SeriesError("cannot fit a Scaler on empty data.")
        flat = data.reshape(-1, data.shape[-1]) if data.ndim > 1 else data.reshape(-1, 1)
        if not np.isfinite(flat).all():
            raise SeriesError("cannot fit a Scaler on data with NaN or infinite values.")
        estimator = _ESTIMATORS[self.kind]().fit(flat)
        if self.kind == "standard":
            self.offset_, self.scale_ = estimator.mean_, estimator.scale_
        else:
            spread = estimator.data_range_
            self.offset_, self.scale_ = estimator.data_min_, np.where(spread > 0, spread, 1.0)
        self._estimator, self._ndim = estimator, data.ndim
        return self

    def _apply(self, method: str, data: np.ndarray) -> np.ndarray:
        """Call the estimator's `method` on `data` seen as 2-D; the result has data's shape."""
        if self._estimator is None:
            raise SeriesError("this Scaler is not fitted yet; call fit(train_data) first.")
        data = np.asarray(data, dtype="float64")
        width = len(self.offset_)
        if self._ndim > 1 and (data.ndim < 2 or data.shape[-1] != width):
            raise SeriesError(
                f"data has shape {data.shape}; the Scaler was fitted on "
                f"{width} feature(s) on the last axis."
            )
        if np.isinf(data).any():
            raise SeriesError("cannot scale data with infinite values.")
        if data.size == 0:
            return data.copy()
        return getattr(self._estimator, method)(data.reshape(-1, width)).reshape(data.shape)

    def transform(self, data: np.ndarray) -> np.ndarray:
        """Scale `data` with the fitted statistics (same shape out)."""
        return self._apply("transform", data)

    def inverse_transform(self, data: np.ndarray) -> np.ndarray:
        """Undo `transform` (same shape out)."""
        return self._apply("inverse_transform", data)
