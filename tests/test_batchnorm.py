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
