"""Q3 frames: the checks on a price frame and the feature columns built from it.

`validate_frame` names the column and the first bad row; `add_return_features` makes the
scale-free columns; `naive_arrays` rebuilds the hand-out's raw set-up.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlhw.errors import DlhwError

PRICE_COLUMNS = ("Open", "High", "Low", "Close")
NAIVE_FEATURES = ("DateOrdinal", "Open", "High", "Low", "Volume")
ANSWER_FEATURES = ("DateOrdinal", "Open", "High", "Low", "Close", "Volume")
RETURN_FEATURES = ("log_return", "log_high_low", "log_close_open", "log_volume_change")


class SeriesError(DlhwError, ValueError):
    """Bad input to a time-series helper (bad column, bad window size, empty split, ...)."""


def validate_frame(frame, columns: Sequence[str], *, date_column: str | None = "Date") -> None:
    """Check that `columns` of `frame` are numeric and finite and that dates strictly increase.

    Errors name the column and the first bad row (its position, 0-based, and its date), so
    that a bad value is found in the CSV instead of surfacing as NaN inside TensorFlow.
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise SeriesError(f"frame must be a pandas DataFrame, got {type(frame).__name__}.")
    wanted = list(columns) + ([date_column] if date_column else [])
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise SeriesError(f"columns {missing} not in frame; available: {list(frame.columns)}.")
    if len(frame) == 0:
        raise SeriesError("frame is empty; expected at least one row.")
    for column in columns:
        series = frame[column]
        numeric = pd.to_numeric(series, errors="coerce")
        bad = numeric.isna().to_numpy() & series.notna().to_numpy()
        if bad.any() or series.dtype == bool:
            row = int(np.argmax(bad)) if bad.any() else 0
            raise SeriesError(
                f"column {column!r} is not numeric (dtype {series.dtype}); first bad value "
                f"{series.iloc[row]!r} at {_where(frame, row, date_column)}."
            )
        values = numeric.to_numpy(dtype="float64")
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.argmax(bad))
            raise SeriesError(
                f"column {column!r} has {int(bad.sum())} NaN or infinite value(s); first at "
                f"{_where(frame, row, date_column)}. Fill or drop them before windowing."
            )
    if date_column:
        dates = frame[date_column].to_numpy()
        if len(dates) > 1:
            steps = dates[1:] > dates[:-1]
            if not steps.all():
                row = int(np.argmax(~steps)) + 1
                raise SeriesError(
                    f"{date_column!r} must be strictly increasing; row {row} "
                    f"({dates[row]}) does not come after row {row - 1} ({dates[row - 1]}). "
                    "Sort by date and drop duplicate dates."
                )


def _where(frame, row: int, date_column: str | None) -> str:
    if date_column and date_column in frame.columns:
        return f"row {row} ({date_column} {frame[date_column].iloc[row]})"
    return f"row {row}"


# --------------------------------------------------------------------------- features
def add_return_features(frame):  # pragma: no mutate block
    """Return a copy of the OHLCV `frame` with scale-free columns (first row dropped).

    `log_return` = log(Close_t / Close_t-1), `log_high_low` = log(High / Low),
    `log_close_open` = log(Close / Open), `log_volume_change` = log((1 + V_t) / (1 + V_t-1)).
    None depends on the price level, so a model trained on 1990 can be applied to 2015.
    """
    validate_frame(frame, (*PRICE_COLUMNS, "Volume"))
    prices = frame[list(PRICE_COLUMNS)].to_numpy(dtype="float64")
    if (prices <= 0).any():
        row = int(np.argmax((prices <= 0).any(axis=1)))
        raise SeriesError(f"prices must be positive for log-returns; {_where(frame, row, 'Date')}.")
    out = frame.copy()
    close = out["Close"].to_numpy(dtype="float64")
    volume = np.log1p(out["Volume"].to_numpy(dtype="float64").clip(min=0))
    out["log_return"] = np.concatenate([[np.nan], np.diff(np.log(close))])
    out["log_high_low"] = np.log(out["High"] / out["Low"])
    out["log_close_open"] = np.log(out["Close"] / out["Open"])
    out["log_volume_change"] = np.concatenate([[np.nan], np.diff(volume)])
    return out.iloc[1:].reset_index(drop=True)


def with_date_ordinal(frame):  # pragma: no mutate block
    """A copy of `frame` with `DateOrdinal` (the date as a day number, as the hand-out used)."""
    validate_frame(frame, ())
    out = frame.copy()
    out["DateOrdinal"] = out["Date"].map(lambda d: d.toordinal()).astype("float64")
    return out


def naive_arrays(frame) -> tuple[np.ndarray, np.ndarray]:  # pragma: no mutate block
    """The hand-out's set-up: x (N, 1, 5) = [date ordinal, Open, High, Low, Volume], raw scales,
    one time step per sample; y (N,) = the same day's Close."""
    validate_frame(frame, ("Open", "High", "Low", "Close", "Volume"))
    x = with_date_ordinal(frame)[list(NAIVE_FEATURES)].to_numpy(dtype="float32")[:, None, :]
    return x, frame["Close"].to_numpy(dtype="float64")
