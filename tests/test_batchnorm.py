"""dlhw.batchnorm: forward/backward by hand, numerical gradients, agreement with Keras."""

import warnings

import numpy as np
import pytest

from dlhw import batchnorm as bn
from dlhw.gradcheck import numerical_gradient_array, rel_error

N, D = 4, 5


@pytest.fixture()
def data():
    rng = np.random.default_rng(0)
    return {
        "x": 5 * rng.standard_normal((N, D)) + 12,
        "gamma": rng.standard_normal(D),
        "beta": rng.standard_normal(D),
        "dout": rng.standard_normal((N, D)),
        "running_mean": rng.standard_normal(D),
        "running_var": rng.random(D) + 0.5,
    }


def train_param(**extra):
    return {"mode": "train", **extra}


def test_train_forward_normalises_each_feature(data):
    out, _ = bn.batchnorm_forward(data["x"], data["gamma"], data["beta"], train_param())
    np.testing.assert_allclose(out.mean(axis=0), data["beta"], atol=1e-12)
    var = data["x"].var(axis=0)
    np.testing.assert_allclose(out.std(axis=0), np.abs(data["gamma"]) * np.sqrt(var / (var + 1e-3)))


def test_train_forward_updates_running_stats_like_keras(data):
    param = train_param(running_mean=data["running_mean"], running_var=data["running_var"])
    bn.batchnorm_forward(data["x"], data["gamma"], data["beta"], param)
    expected_mean = 0.99 * data["running_mean"] + 0.01 * data["x"].mean(axis=0)
    expected_var = 0.99 * data["running_var"] + 0.01 * data["x"].var(axis=0)  # biased (ddof=0)
    np.testing.assert_allclose(param["running_mean"], expected_mean)
    np.testing.assert_allclose(param["running_var"], expected_var)


def test_running_stats_default_to_keras_initialisers(data):
    param = train_param(momentum=0.0)
    bn.batchnorm_forward(data["x"], data["gamma"], data["beta"], param)
    np.testing.assert_allclose(param["running_var"], data["x"].var(axis=0))
    param = {"mode": "test"}
    out, _ = bn.batchnorm_forward(data["x"], data["gamma"], data["beta"], param)
    np.testing.assert_allclose(out, data["gamma"] * data["x"] / np.sqrt(1 + 1e-3) + data["beta"])


def test_test_mode_uses_running_stats_and_leaves_them(data):
    rm, rv = data["running_mean"].copy(), data["running_var"].copy()
    param = {"mode": "test", "running_mean": rm, "running_var": rv, "eps": 1e-5}
    out, _ = bn.batchnorm_forward(data["x"], data["gamma"], data["beta"], param)
    expected = data["gamma"] * (data["x"] - rm) / np.sqrt(rv + 1e-5) + data["beta"]
    np.testing.assert_allclose(out, expected)
    np.testing.assert_array_equal(param["running_mean"], data["running_mean"])
    np.testing.assert_array_equal(param["running_var"], data["running_var"])


@pytest.mark.parametrize("mode", ["train", "test"])
def test_graph_and_compact_backward_agree(data, mode):
    param = {"mode": mode, "running_mean": data["running_mean"], "running_var": data["running_var"]}
    _, cache = bn.batchnorm_forward(data["x"], data["gamma"], data["beta"], param)
    graph = bn.batchnorm_backward(data["dout"], cache)
    compact = bn.batchnorm_backward_alt(data["dout"], cache)
    for a, b in zip(graph, compact, strict=True):
        assert rel_error(a, b) < 1e-12


@pytest.mark.parametrize("backward", [bn.batchnorm_backward, bn.batchnorm_backward_alt])
@pytest.mark.parametrize("mode", ["train", "test"])
def test_backward_matches_numerical_gradient(data, backward, mode):
    x, gamma, beta, dout = data["x"], data["gamma"], data["beta"], data["dout"]
    stats = {"running_mean": data["running_mean"], "running_var": data["running_var"]}

    def forward(x_, g_, b_):
        return bn.batchnorm_forward(x_, g_, b_, {"mode": mode, **stats})[0]

    _, cache = bn.batchnorm_forward(x, gamma, beta, {"mode": mode, **stats})
    dx, dgamma, dbeta = backward(dout, cache)
    kw = {"h": 1e-3, "order": 4}
    assert (
        rel_error(dx, numerical_gradient_array(lambda v: forward(v, gamma, beta), x, dout, **kw))
        < 1e-8
    )
    assert (
        rel_error(
            dgamma, numerical_gradient_array(lambda v: forward(x, v, beta), gamma, dout, **kw)
        )
        < 1e-8
    )
    assert (
        rel_error(dbeta, numerical_gradient_array(lambda v: forward(x, gamma, v), beta, dout, **kw))
        < 1e-8
    )


def test_spatial_batchnorm_normalises_per_channel_and_backprops():
    rng = np.random.default_rng(1)
    x = 3 * rng.standard_normal((2, 3, 3, 2)) + 1
    gamma, beta, dout = rng.standard_normal(2), rng.standard_normal(2), rng.standard_normal(x.shape)
    out, cache = bn.spatial_batchnorm_forward(x, gamma, beta, train_param())
    assert out.shape == x.shape
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), beta, atol=1e-12)

    def forward(v):
        return bn.spatial_batchnorm_forward(v, gamma, beta, train_param())[0]

    dx, dgamma, _ = bn.spatial_batchnorm_backward(dout, cache)
    assert dgamma.shape == (2,)
    assert rel_error(dx, numerical_gradient_array(forward, x, dout, h=1e-3, order=4)) < 1e-8


@pytest.mark.parametrize("training", [True, False])
def test_agrees_with_keras_within_1e5_in_float32(data, training):
    rng = np.random.default_rng(2)
    x = 3 * rng.standard_normal((N, D)) + 1  # float32-friendly scale
    diffs = bn.compare_with_keras(
        x,
        data["gamma"],
        data["beta"],
        data["running_mean"],
        data["running_var"],
        data["dout"],
        training=training,
    )
    assert set(diffs) == {"out", "moving_mean", "moving_var", "dx", "dgamma", "dbeta"}
    assert max(diffs.values()) < 1e-5, diffs


def test_keras_updates_moving_variance_with_the_biased_batch_variance(data):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((N, D)).astype(np.float32)
    ref = bn.keras_batchnorm_reference(
        x,
        data["gamma"],
        data["beta"],
        np.zeros(D),
        np.ones(D),
        data["dout"],
        training=True,
        momentum=0.0,
    )
    np.testing.assert_allclose(ref["moving_var"], x.var(axis=0, ddof=0), rtol=1e-6)
    # The unbiased (Bessel-corrected) variance, PyTorch's convention, is far outside 1e-5.
    assert np.max(np.abs(ref["moving_var"] - x.var(axis=0, ddof=1))) > 1e-2


def test_batch_of_one_warns_and_outputs_exactly_beta(data):
    x1 = data["x"][:1]
    with pytest.warns(bn.SmallBatchWarning, match="output will equal beta"):
        out, cache = bn.batchnorm_forward(x1, data["gamma"], data["beta"], train_param())
    assert np.array_equal(cache["x_hat"], np.zeros_like(x1))
    assert np.array_equal(out[0], data["beta"])
    dx, _, dbeta = bn.batchnorm_backward_alt(data["dout"][:1], cache)
    assert np.array_equal(dx, np.zeros_like(x1))
    np.testing.assert_array_equal(dbeta, data["dout"][0])


def test_batch_of_one_in_test_mode_does_not_warn(data):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bn.batchnorm_forward(data["x"][:1], data["gamma"], data["beta"], {"mode": "test"})


def test_zero_variance_feature_needs_eps(data):
    x = data["x"].copy()
    x[:, 0] = 0.0  # a dead ReLU unit: the same value for the whole batch
    with pytest.warns(bn.ZeroVarianceWarning, match="eps=0"):
        out, _ = bn.batchnorm_forward(x, data["gamma"], data["beta"], train_param(eps=0.0))
    assert np.isnan(out[:, 0]).all() and np.isfinite(out[:, 1:]).all()
    out, _ = bn.batchnorm_forward(x, data["gamma"], data["beta"], train_param(eps=1e-3))
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(out[:, 0], data["beta"][0])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bn_param": {"mode": "training"}}, r"mode.*one of \('train', 'test'\).*'training'"),
        ({"bn_param": {}}, r"mode.*one of"),
        ({"gamma": np.ones(4)}, r"gamma has shape \(4,\).*D=5.*\(5,\)"),
        ({"beta": np.ones((1, 5))}, r"beta has shape \(1, 5\)"),
        ({"x": np.ones(5)}, r"x must be a non-empty 2-D array"),
        ({"bn_param": {"mode": "train", "epsilon": 1e-5}}, r"unknown keys \['epsilon'\]"),
        ({"bn_param": {"mode": "train", "eps": -1.0}}, r"eps.*>= 0"),
        ({"bn_param": {"mode": "train", "momentum": 1.5}}, r"momentum.*\[0, 1\]"),
        ({"bn_param": {"mode": "test", "running_var": np.ones(3)}}, r"running_var.*\(5,\)"),
    ],
)
def test_bad_input_raises_clear_value_error(data, change, message):
    args = {"x": data["x"], "gamma": data["gamma"], "beta": data["beta"], "bn_param": train_param()}
    args.update(change)
    with pytest.raises(ValueError, match=message):
        bn.batchnorm_forward(**args)


def test_backward_rejects_wrong_dout_shape(data):
    _, cache = bn.batchnorm_forward(data["x"], data["gamma"], data["beta"], train_param())
    with pytest.raises(ValueError, match=r"dout has shape \(4, 4\)"):
        bn.batchnorm_backward(data["dout"][:, :4], cache)


def test_spatial_rejects_2d_input(data):
    with pytest.raises(ValueError, match=r"\(N, H, W, C\)"):
        bn.spatial_batchnorm_forward(data["x"], data["gamma"], data["beta"], train_param())


def test_gradient_check_helper_and_tf_fused_variance():
    errors = bn.gradient_check(**bn.random_inputs(0), h=1e-3, order=4)
    assert set(errors) == {"dx", "dgamma", "dbeta"} and max(errors.values()) < 1e-8
    broken = bn.gradient_check(
        **bn.random_inputs(0), backward=lambda d, c: (d, d.sum(0), d.sum(0)), h=1e-3, order=4
    )
    assert broken["dx"] > 1e-2 and broken["dgamma"] > 1e-2  # a wrong backward is caught
    x = np.random.default_rng(4).standard_normal((N, D)).astype(np.float32)
    np.testing.assert_allclose(bn.tf_fused_batch_variance(x), x.var(axis=0, ddof=1), rtol=1e-5)


def test_integer_running_statistics_are_not_truncated():
    x = np.random.default_rng(0).normal(size=(4, 5)) + 3.0
    param = {"mode": "train", "running_mean": [0] * 5, "running_var": [1] * 5}
    bn.batchnorm_forward(x, np.ones(5), np.zeros(5), param)
    np.testing.assert_allclose(param["running_mean"], 0.01 * x.mean(axis=0))
    with pytest.raises(ValueError, match=r"running_var'\] has shape \(3,\)"):
        bn.batchnorm_forward(x, np.ones(5), np.zeros(5), {"mode": "train", "running_var": [1] * 3})


# ------------------------------------------------------------------ tests that kill mutants
# Each test below guards a behaviour that `make mutate` (mutmut) found unguarded.


def test_empty_batch_is_rejected_and_one_feature_is_fine():
    """N = 0 rows is an error; D = 1 feature is a valid input."""
    with pytest.raises(ValueError, match="non-empty 2-D array"):
        bn.batchnorm_forward(np.ones((0, 5)), np.ones(5), np.zeros(5), train_param())
    out, _ = bn.batchnorm_forward(np.array([[1.0], [3.0]]), [2.0], [0.5], train_param())
    np.testing.assert_allclose(out[:, 0], 0.5 + 2.0 * np.array([-1.0, 1.0]) / np.sqrt(1 + 1e-3))


def test_float32_input_keeps_float32_and_integers_become_float64():
    """x's floating dtype is kept (gamma and beta follow it); integer x is computed in float64,
    so fractional gamma and beta are not truncated."""
    x32 = np.array([[1.0, 2.0], [3.0, 5.0]], dtype=np.float32)
    out, cache = bn.batchnorm_forward(x32, [0.5, 2.0], [0.25, -1.0], train_param())
    assert out.dtype == np.float32 and cache["gamma"].dtype == np.float32
    out, _ = bn.batchnorm_forward(
        np.array([[1, 2], [3, 4]]), [0.5, 2.0], [0.25, -1.0], {"mode": "train"}
    )
    assert out.dtype == np.float64
    np.testing.assert_allclose(
        out,
        [
            [0.25 - 0.5 / np.sqrt(1 + 1e-3), -1.0 - 2.0 / np.sqrt(1 + 1e-3)],
            [0.25 + 0.5 / np.sqrt(1 + 1e-3), -1.0 + 2.0 / np.sqrt(1 + 1e-3)],
        ],
        rtol=1e-12,
    )


def test_momentum_one_is_allowed_and_freezes_the_running_statistics(data):
    """momentum is in [0, 1], both ends included: 1 keeps the running statistics as they are."""
    param = train_param(running_mean=data["running_mean"], running_var=data["running_var"])
    param["momentum"] = 1.0
    bn.batchnorm_forward(data["x"], data["gamma"], data["beta"], param)
    np.testing.assert_allclose(param["running_mean"], data["running_mean"])
    np.testing.assert_allclose(param["running_var"], data["running_var"])


@pytest.mark.parametrize("key", ["running_mean", "running_var"])
def test_wrong_running_statistic_shape_is_caught_with_the_inputs(data, key):
    """The shape of each running statistic is checked with the other inputs (the message is
    `_check_inputs`', which ends at the expected shape)."""
    param = {"mode": "train", key: np.ones(3)}
    with pytest.raises(
        ValueError, match=rf"^bn_param\['{key}'\] has shape \(3,\); expected \(5,\)\.$"
    ):
        bn.batchnorm_forward(data["x"], data["gamma"], data["beta"], param)


def test_zero_variance_warning_needs_both_eps_zero_and_a_constant_feature(data):
    """No warning when eps = 0 but every feature varies, nor for a constant feature with
    eps > 0."""
    constant = data["x"].copy()
    constant[:, 0] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bn.batchnorm_forward(data["x"], data["gamma"], data["beta"], train_param(eps=0.0))
        bn.batchnorm_forward(constant, data["gamma"], data["beta"], train_param(eps=1e-3))


def test_running_statistics_keep_their_float_dtype():
    """float32 running statistics stay float32 next to float64 x; integer ones and missing
    ones take x's dtype (float32 here)."""
    x64 = np.random.default_rng(0).normal(size=(4, 3))
    param = {"mode": "train", "running_mean": np.zeros(3, np.float32)}
    param["running_var"] = np.ones(3, np.float32)
    bn.batchnorm_forward(x64, np.ones(3), np.zeros(3), param)
    assert param["running_mean"].dtype == param["running_var"].dtype == np.float32
    x32 = x64.astype(np.float32)
    param = {"mode": "train", "running_mean": [0, 0, 0], "running_var": [1, 1, 1]}
    bn.batchnorm_forward(x32, np.ones(3), np.zeros(3), param)
    assert param["running_mean"].dtype == param["running_var"].dtype == np.float32
    param = {"mode": "train"}
    bn.batchnorm_forward(x32, np.ones(3), np.zeros(3), param)
    assert param["running_mean"].dtype == param["running_var"].dtype == np.float32


def test_test_mode_keeps_float32_with_float64_running_statistics(data):
    """In test mode the running statistics are cast to x's dtype: float32 in, float32 out."""
    param = {"mode": "test", "running_mean": data["running_mean"]}
    param["running_var"] = data["running_var"]
    out, _ = bn.batchnorm_forward(data["x"].astype(np.float32), data["gamma"], data["beta"], param)
    assert out.dtype == np.float32


def test_test_mode_warns_for_a_zero_running_variance_without_eps(data):
    """Test mode divides by sqrt(running_var + eps): a zero running variance with eps = 0
    warns there too."""
    param = {"mode": "test", "eps": 0.0, "running_var": np.r_[0.0, np.ones(D - 1)]}
    with pytest.warns(bn.ZeroVarianceWarning, match="eps=0"):
        bn.batchnorm_forward(data["x"], data["gamma"], data["beta"], param)


def test_test_mode_stores_the_default_running_statistics(data):
    """Missing running statistics are created (zeros and ones, Keras' initialisers) in
    bn_param in test mode too, and given ones are left in place."""
    param = {"mode": "test"}
    bn.batchnorm_forward(data["x"], data["gamma"], data["beta"], param)
    assert set(param) == {"mode", "running_mean", "running_var"}
    np.testing.assert_array_equal(param["running_mean"], np.zeros(D))
    np.testing.assert_array_equal(param["running_var"], np.ones(D))
    given = data["running_var"].copy()
    param = {"mode": "test", "running_var": given}
    bn.batchnorm_forward(data["x"], data["gamma"], data["beta"], param)
    assert param["running_var"] is given


def test_zero_variance_without_eps_gives_only_the_clear_warning(data):
    """The 0/0 and 1/0 of eps = 0 are silenced: the only warning is ZeroVarianceWarning,
    not NumPy's 'divide by zero' / 'invalid value' RuntimeWarnings."""
    x = data["x"].copy()
    x[:, 0] = 0.0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bn.batchnorm_forward(x, data["gamma"], data["beta"], train_param(eps=0.0))
    assert [type(w.message) for w in caught] == [bn.ZeroVarianceWarning]


def test_cache_holds_the_forward_intermediates(data):
    """The cache exposes cs231n's intermediates by name: batch mean, biased variance, eps."""
    _, cache = bn.batchnorm_forward(data["x"], data["gamma"], data["beta"], train_param(eps=1e-4))
    np.testing.assert_allclose(cache["mu"], data["x"].mean(axis=0))
    np.testing.assert_allclose(cache["var"], data["x"].var(axis=0))
    assert cache["eps"] == 1e-4


@pytest.mark.parametrize("backward", [bn.batchnorm_backward, bn.batchnorm_backward_alt])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_backward_returns_arrays_of_the_input_dtype(data, backward, dtype):
    """dx, dgamma and dbeta are plain float arrays of x's dtype (not object arrays)."""
    x = data["x"].astype(dtype)
    _, cache = bn.batchnorm_forward(x, data["gamma"], data["beta"], train_param())
    grads = backward(data["dout"].astype(dtype), cache)
    assert [g.dtype for g in grads] == [dtype] * 3


def test_random_inputs_follow_the_documented_recipe():
    """x = 5 randn + 12 (N, D), gamma, beta (D,), dout (N, D), drawn in that order from
    default_rng(seed); defaults N = 4, D = 5; the same seed gives the same arrays."""
    got = bn.random_inputs(7)
    rng = np.random.default_rng(7)
    np.testing.assert_array_equal(got["x"], 5 * rng.standard_normal((4, 5)) + 12)
    np.testing.assert_array_equal(got["gamma"], rng.standard_normal(5))
    np.testing.assert_array_equal(got["beta"], rng.standard_normal(5))
    np.testing.assert_array_equal(got["dout"], rng.standard_normal((4, 5)))
    assert bn.random_inputs(3, n=2, d=3)["x"].shape == (2, 3)


def test_gradient_check_defaults_and_float32_inputs():
    """With its defaults (h = 1e-5, order 2) the check is accurate, and float32 inputs are
    checked in float64."""
    assert max(bn.gradient_check(**bn.random_inputs(0)).values()) < 1e-7
    p = bn.random_inputs(1)
    p32 = {k: (v if k == "dout" else v.astype(np.float32)) for k, v in p.items()}
    assert max(bn.gradient_check(**p32).values()) < 1e-6


def test_gradient_check_passes_h_to_every_numerical_gradient():
    """With h = 1 the nonlinear dx check is visibly off, while dgamma and dbeta (out is
    linear in gamma and beta) are exact to rounding: each uses the h it was given."""
    errors = bn.gradient_check(**bn.random_inputs(0), h=1.0)
    assert errors["dx"] > 1e-3
    assert errors["dgamma"] < 1e-14 and errors["dbeta"] < 1e-14


def test_gradient_check_passes_order_to_every_numerical_gradient(monkeypatch):
    """order=4 evaluates the forward four times per entry of x, gamma and beta."""
    calls = []
    forward = bn.batchnorm_forward

    def counting(*args, **kwargs):
        calls.append(1)
        return forward(*args, **kwargs)

    monkeypatch.setattr(bn, "batchnorm_forward", counting)
    bn.gradient_check(**bn.random_inputs(0), order=4)
    assert len(calls) == 1 + 4 * (N * D + D + D)  # the analytic pass, then the stencils


def test_gradient_check_rejects_a_backward_with_too_few_gradients():
    """A backward that returns two gradients instead of (dx, dgamma, dbeta) is an error,
    not a silently shorter report."""
    with pytest.raises(ValueError):
        bn.gradient_check(**bn.random_inputs(0), backward=lambda d, c: (d, d.sum(0)))
