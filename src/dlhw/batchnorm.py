"""Batch normalisation by hand in NumPy (cs231n-style forward/backward), checked against Keras.

`batchnorm_forward(x, gamma, beta, bn_param) -> (out, cache)` normalises x: (N, D) per feature;
`batchnorm_backward` walks the computation graph step by step and `batchnorm_backward_alt`
uses the compact closed form; `spatial_batchnorm_*` handle x: (N, H, W, C) (channels last, as
in Keras) by reshaping to (N*H*W, C). Conventions follow `keras.layers.BatchNormalization`
(Keras 3): eps 1e-3, momentum 0.99 on the *old* running value, the *biased* batch variance
both for normalising and for the running-variance update, running statistics initialised to
mean 0 and variance 1. `keras_batchnorm_reference` runs the Keras layer on the same inputs.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

MODES = ("train", "test")
DEFAULT_EPS = 1e-3  # keras.layers.BatchNormalization(epsilon=1e-3)
DEFAULT_MOMENTUM = 0.99  # keras: moving = momentum * moving + (1 - momentum) * batch
BN_PARAM_KEYS = ("mode", "eps", "momentum", "running_mean", "running_var")


class SmallBatchWarning(UserWarning):
    """A training-mode batch of one row: the variance is 0 and the output equals beta."""


class ZeroVarianceWarning(RuntimeWarning):
    """eps = 0 with a zero-variance feature: the output holds NaN or infinities."""


def _check_inputs(x: Any, gamma: Any, beta: Any, bn_param: Any) -> tuple:
    """Validate the arguments of `batchnorm_forward`; return them as arrays plus the settings."""
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"x must be a non-empty 2-D array of shape (N, D), got shape {x.shape}.")
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    d = x.shape[1]
    gamma, beta = np.asarray(gamma, dtype=x.dtype), np.asarray(beta, dtype=x.dtype)
    for name, value in (("gamma", gamma), ("beta", beta)):
        if value.shape != (d,):
            raise ValueError(
                f"{name} has shape {value.shape}, but x has D={d} features: gamma and beta "
                f"must both have shape (D,) = ({d},)."
            )
    if not isinstance(bn_param, dict):
        raise ValueError(f"bn_param must be a dict, got {type(bn_param).__name__}.")
    unknown = sorted(set(bn_param) - set(BN_PARAM_KEYS))
    if unknown:
        raise ValueError(f"bn_param has unknown keys {unknown}; accepted keys: {BN_PARAM_KEYS}.")
    mode = bn_param.get("mode")
    if mode not in MODES:
        raise ValueError(f"bn_param['mode'] must be one of {MODES}, got {mode!r}.")
    eps = float(bn_param.get("eps", DEFAULT_EPS))
    momentum = float(bn_param.get("momentum", DEFAULT_MOMENTUM))
    if not eps >= 0:
        raise ValueError(f"bn_param['eps'] must be >= 0, got {eps}.")
    if not 0 <= momentum <= 1:
        raise ValueError(f"bn_param['momentum'] must be in [0, 1], got {momentum}.")
    for key in ("running_mean", "running_var"):
        if key in bn_param and np.shape(bn_param[key]) != (d,):
            raise ValueError(
                f"bn_param[{key!r}] has shape {np.shape(bn_param[key])}; expected ({d},)."
            )
    return x, gamma, beta, mode, eps, momentum


def _warn_zero_variance(var: np.ndarray, eps: float) -> None:
    if eps == 0 and np.any(var == 0):
        warnings.warn(
            f"eps=0 and {int(np.sum(var == 0))} feature(s) have zero variance: their "
            "normalised values are 0/0 = NaN (and 1/sqrt(var) = inf). Use eps > 0.",
            ZeroVarianceWarning,
            stacklevel=3,
        )


def _running_stat(bn_param: dict[str, Any], key: str, default: np.ndarray) -> np.ndarray:
    """bn_param[key] as a float array of shape (D,): integer or list input would otherwise
    truncate the running averages silently."""
    value = np.asarray(bn_param.get(key, default))
    if value.shape != default.shape:
        raise ValueError(
            f"bn_param[{key!r}] has shape {value.shape}; expected {default.shape}, one value "
            "per feature."
        )
    return value if np.issubdtype(value.dtype, np.floating) else value.astype(default.dtype)


def batchnorm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, bn_param: dict[str, Any]
) -> tuple[np.ndarray, dict[str, Any]]:
    """Batch-normalise x: (N, D) per feature; return out: (N, D) and a cache for the backward.

    bn_param: `mode` ("train": batch mean and biased variance, running averages updated in
    place; "test": the running statistics), `eps` (1e-3), `momentum` (0.99), `running_mean`
    and `running_var` ((D,); created as zeros and ones, like Keras' initialisers, if absent).
    gamma, beta: (D,). A training batch of one row warns: its output is exactly beta.
    """
    x, gamma, beta, mode, eps, momentum = _check_inputs(x, gamma, beta, bn_param)
    n, d = x.shape
    running_mean = _running_stat(bn_param, "running_mean", np.zeros(d, dtype=x.dtype))
    running_var = _running_stat(bn_param, "running_var", np.ones(d, dtype=x.dtype))
    if mode == "train":
        if n == 1:
            warnings.warn(
                "batchnorm_forward got a batch of size 1 in training mode: the batch variance "
                "is 0 and every normalised value is exactly 0, so the output will equal beta "
                "and no gradient reaches x. Use a larger batch, mode='test', or "
                "layer/group normalisation.",
                SmallBatchWarning,
                stacklevel=2,
            )
        mu = x.mean(axis=0)  # (D,)
        xmu = x - mu  # (N, D)
        var = (xmu**2).mean(axis=0)  # (D,), biased: divides by N, as Keras does
        _warn_zero_variance(var, eps)
        # Keras: moving = moving * momentum + batch * (1 - momentum), with the biased variance.
        bn_param["running_mean"] = (momentum * running_mean + (1 - momentum) * mu).astype(
            running_mean.dtype
        )
        bn_param["running_var"] = (momentum * running_var + (1 - momentum) * var).astype(
            running_var.dtype
        )
    else:
        mu, var = running_mean.astype(x.dtype), running_var.astype(x.dtype)
        xmu = x - mu
        _warn_zero_variance(var, eps)
        bn_param.setdefault("running_mean", running_mean)
        bn_param.setdefault("running_var", running_var)
    with np.errstate(divide="ignore", invalid="ignore"):
        std = np.sqrt(var + eps)  # (D,)
        inv_std = 1.0 / std  # (D,)
        x_hat = xmu * inv_std  # (N, D)
    out = gamma * x_hat + beta
    cache = {
        "mode": mode,
        "x": x,
        "mu": mu,
        "xmu": xmu,
        "var": var,
        "std": std,
        "inv_std": inv_std,
        "x_hat": x_hat,
        "gamma": gamma,
        "eps": eps,
    }
    return out, cache


def _check_dout(dout: Any, cache: dict[str, Any]) -> np.ndarray:
    dout = np.asarray(dout)
    if dout.shape != cache["x"].shape:
        raise ValueError(
            f"dout has shape {dout.shape}; expected the forward input's shape {cache['x'].shape}."
        )
    return dout


def batchnorm_backward(
    dout: np.ndarray, cache: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass node by node through the forward graph; return (dx, dgamma, dbeta).

    dout: (N, D) upstream gradient; dx: (N, D); dgamma, dbeta: (D,). In "test" mode the
    statistics are constants, so dx = dout * gamma / sqrt(running_var + eps).
    """
    dout = _check_dout(dout, cache)
    x_hat, gamma, xmu = cache["x_hat"], cache["gamma"], cache["xmu"]
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)  # out = gammax + beta
    dgamma = (dout * x_hat).sum(axis=0)  # gammax = gamma * x_hat
    dx_hat = dout * gamma
    if cache["mode"] == "test":
        return dx_hat * cache["inv_std"], dgamma, dbeta
    # x_hat = xmu * inv_std
    dinv_std = (dx_hat * xmu).sum(axis=0)
    dxmu = dx_hat * cache["inv_std"]
    # inv_std = 1 / std
    dstd = -dinv_std / cache["std"] ** 2
    # std = sqrt(var + eps)
    dvar = 0.5 * dstd / cache["std"]
    # var = mean(sq), sq = xmu ** 2
    dsq = np.ones_like(dout) * dvar / n
    dxmu = dxmu + 2 * xmu * dsq
    # xmu = x - mu
    dx = dxmu.copy()
    dmu = -dxmu.sum(axis=0)
    # mu = mean(x)
    dx += np.ones_like(dout) * dmu / n
    return dx, dgamma, dbeta


def batchnorm_backward_alt(
    dout: np.ndarray, cache: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass in closed form; return (dx, dgamma, dbeta), the same as the graph version.

    dx = inv_std / N * (N * dx_hat - sum(dx_hat) - x_hat * sum(dx_hat * x_hat)), with
    dx_hat = dout * gamma. dout, dx: (N, D); dgamma, dbeta: (D,).
    """
    dout = _check_dout(dout, cache)
    x_hat, inv_std = cache["x_hat"], cache["inv_std"]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * cache["gamma"]
    if cache["mode"] == "test":
        return dx_hat * inv_std, dgamma, dbeta
    n = dout.shape[0]
    dx = (inv_std / n) * (n * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))
    return dx, dgamma, dbeta


def _check_spatial(x: Any) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(
            f"x must be a 4-D array of shape (N, H, W, C) (channels last), got shape {x.shape}."
        )
    return x


def spatial_batchnorm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, bn_param: dict[str, Any]
) -> tuple[np.ndarray, dict[str, Any]]:
    """Batch norm per channel of x: (N, H, W, C), statistics over N, H and W; gamma, beta: (C,).

    Returns out: (N, H, W, C) and the cache; Keras' BatchNormalization on a conv output does
    the same (axis=-1).
    """
    x = _check_spatial(x)
    out, cache = batchnorm_forward(x.reshape(-1, x.shape[-1]), gamma, beta, bn_param)
    cache["spatial_shape"] = x.shape
    return out.reshape(x.shape), cache


def spatial_batchnorm_backward(
    dout: np.ndarray, cache: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward of `spatial_batchnorm_forward`: dout, dx: (N, H, W, C); dgamma, dbeta: (C,)."""
    shape = cache["spatial_shape"]
    dout = np.asarray(dout)
    if dout.shape != shape:
        raise ValueError(f"dout has shape {dout.shape}; expected the forward input's {shape}.")
    dx, dgamma, dbeta = batchnorm_backward_alt(dout.reshape(-1, shape[-1]), cache)
    return dx.reshape(shape), dgamma, dbeta


def keras_batchnorm_reference(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    dout: np.ndarray,
    *,
    training: bool,
    eps: float = DEFAULT_EPS,
    momentum: float = DEFAULT_MOMENTUM,
) -> dict[str, np.ndarray]:  # pragma: no mutate block
    """Run `keras.layers.BatchNormalization` (float32) with the given weights on x: (N, D).

    Returns `out` (N, D), the layer's `moving_mean` / `moving_var` after the call (D,), and
    `dx` (N, D), `dgamma`, `dbeta` (D,): gradients of sum(out * dout) from `tf.GradientTape`.
    """
    import keras
    import tensorflow as tf

    x32 = tf.constant(np.asarray(x, dtype=np.float32))
    layer = keras.layers.BatchNormalization(momentum=momentum, epsilon=eps, dtype="float32")
    layer.build(x32.shape)
    layer.set_weights(
        [np.asarray(a, dtype=np.float32) for a in (gamma, beta, running_mean, running_var)]
    )
    with tf.GradientTape() as tape:
        tape.watch(x32)
        out = layer(x32, training=training)
        loss = tf.reduce_sum(out * tf.constant(np.asarray(dout, dtype=np.float32)))
    dx, dgamma, dbeta = tape.gradient(loss, [x32, layer.gamma, layer.beta])
    return {
        "out": out.numpy(),
        "moving_mean": layer.moving_mean.numpy(),
        "moving_var": layer.moving_variance.numpy(),
        "dx": dx.numpy(),
        "dgamma": dgamma.numpy(),
        "dbeta": dbeta.numpy(),
    }


def compare_with_keras(
    *arrays: np.ndarray,
    training: bool,
    eps: float = DEFAULT_EPS,
    momentum: float = DEFAULT_MOMENTUM,
) -> dict[str, float]:  # pragma: no mutate block
    """Max |NumPy - Keras| in float32 for out, moving mean/var and dx, dgamma, dbeta.

    `arrays` are `keras_batchnorm_reference`'s: x (N, D), gamma, beta, running_mean,
    running_var (D,) and dout (N, D), in that order.
    """
    if len(arrays) != 6:
        raise ValueError(
            "compare_with_keras takes x, gamma, beta, running_mean, running_var, dout "
            f"(6 arrays), got {len(arrays)}."
        )
    arrays = [np.asarray(a, dtype=np.float32) for a in arrays]
    x32, g32, b32, rm32, rv32, dout32 = arrays
    bn_param = {
        "mode": "train" if training else "test",
        "eps": eps,
        "momentum": momentum,
        "running_mean": rm32.copy(),
        "running_var": rv32.copy(),
    }
    out, cache = batchnorm_forward(x32, g32, b32, bn_param)
    dx, dgamma, dbeta = batchnorm_backward_alt(dout32, cache)
    ref = keras_batchnorm_reference(
        x32, g32, b32, rm32, rv32, dout32, training=training, eps=eps, momentum=momentum
    )
    ours = {
        "out": out,
        "moving_mean": bn_param["running_mean"],
        "moving_var": bn_param["running_var"],
        "dx": dx,
        "dgamma": dgamma,
        "dbeta": dbeta,
    }
    return {key: float(np.max(np.abs(ours[key] - ref[key]))) for key in ours}


def tf_fused_batch_variance(x: np.ndarray) -> np.ndarray:  # pragma: no mutate block
    """The batch variance that TensorFlow's fused kernel returns in training mode; x: (N, D).

    `tf.compat.v1.nn.fused_batch_norm` reports the Bessel-corrected (unbiased, / (N - 1))
    variance for the running average, unlike Keras 3's layer (biased, / N). Returns (D,).
    """
    import tensorflow as tf

    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"x must have shape (N, D), got {x.shape}.")
    d = x.shape[1]
    _, _, variance = tf.compat.v1.nn.fused_batch_norm(
        x.reshape(x.shape[0], 1, 1, d),
        np.ones(d, np.float32),
        np.zeros(d, np.float32),
        epsilon=DEFAULT_EPS,
        is_training=True,
    )
    return variance.numpy()


def random_inputs(seed: int, n: int = 4, d: int = 5) -> dict[str, np.ndarray]:
    """cs231n-style float64 inputs: x = 5 randn + 12 (N, D), gamma, beta (D,), dout (N, D)."""
    rng = np.random.default_rng(seed)
    return {
        "x": 5 * rng.standard_normal((n, d)) + 12,
        "gamma": rng.standard_normal(d),
        "beta": rng.standard_normal(d),
        "dout": rng.standard_normal((n, d)),
    }


def gradient_check(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    dout: np.ndarray,
    *,
    backward=batchnorm_backward,
    h: float = 1e-5,
    order: int = 2,
) -> dict[str, float]:
    """rel_error between `backward` (training mode) and centred differences for dx, dgamma, dbeta.

    x, dout: (N, D) float64; gamma, beta: (D,). `order` 2 or 4: see `dlhw.gradcheck`.
    """
    from dlhw.gradcheck import numerical_gradient_array, rel_error

    def forward(x_, g_, b_):
        return batchnorm_forward(x_, g_, b_, {"mode": "train"})[0]

    x, gamma, beta = (np.array(a, dtype=np.float64) for a in (x, gamma, beta))
    _, cache = batchnorm_forward(x, gamma, beta, {"mode": "train"})
    analytic = backward(dout, cache)
    numeric = (
        numerical_gradient_array(lambda v: forward(v, gamma, beta), x, dout, h, order=order),
        numerical_gradient_array(lambda v: forward(x, v, beta), gamma, dout, h, order=order),
        numerical_gradient_array(lambda v: forward(x, gamma, v), beta, dout, h, order=order),
    )
    names = ("dx", "dgamma", "dbeta")
    return {k: rel_error(a, b) for k, a, b in zip(names, analytic, numeric, strict=True)}
