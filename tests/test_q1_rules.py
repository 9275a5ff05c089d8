"""Q1's new rules and ledger entries give each of their cases when the numbers call for it."""

import pytest

from dlhw import briefs, declarations, results
from dlhw.declare import Context


def _rule(name, metrics):
    return briefs.rule_sentence("Q1", name, metrics, "full")


def _grid(dense_fast, global_avg_fast, dense_slow, global_avg_slow, sd):
    return {
        "head_rate": {
            "dense_fast": dense_fast,
            "global_avg_fast": global_avg_fast,
            "dense_slow": dense_slow,
            "global_avg_slow": global_avg_slow,
            "seed_sd": sd,
        }
    }


def test_head_and_rate_rules_read_the_seed_spread():
    apart = _grid(0.98, 0.90, 0.95, 0.80, 0.002)  # margin 0.004
    assert "tuned rate the dense head scores higher" in _rule("head_fast", apart)
    assert "slow rate the dense head scores higher" in _rule("head_slow", apart)
    assert "dense head the tuned rate scores higher" in _rule("rate_dense", apart)
    assert "global-average head the tuned rate scores higher" in _rule("rate_global_avg", apart)
    close = _grid(0.98, 0.975, 0.97, 0.96, 0.01)  # margin 0.02: every gap within it
    assert "two heads are indistinguishable" in _rule("head_fast", close)
    assert "two rates are indistinguishable" in _rule("rate_dense", close)
    reversed_ = _grid(0.90, 0.98, 0.95, 0.99, 0.002)
    assert "global-average head scores higher" in _rule("head_fast", reversed_)
    assert "slow rate scores higher" in _rule("rate_dense", reversed_)


def _memo(final, no_dropout, strided, images=1000):
    def row(gap, fit):
        return {"gap": gap, "shuffled_fit": fit}

    return {
        "memorisation": {
            "final": row(*final),
            "no_dropout": row(*no_dropout),
            "strided": row(*strided),
        },
        "shuffled_images": images,
        "shuffled_epochs": 20,
    }


@pytest.mark.parametrize(
    ("no_dropout", "words"),
    [
        ((0.05, 0.9), ("by more", "fits more")),
        ((0.001, 0.2), ("by less", "fits fewer")),
        ((0.011, 0.51), ("gap is indistinguishable", "as many shuffled labels")),
    ],
)
def test_dropout_rules_follow_the_gap_and_the_fit(no_dropout, words):
    metrics = _memo((0.01, 0.5), no_dropout, (0.01, 0.5))
    assert words[0] in _rule("dropout_gap", metrics)
    assert words[1] in _rule("dropout_fit", metrics)


def test_pooling_rules_compare_strided_with_final():
    metrics = _memo((0.01, 0.5), (0.01, 0.5), (0.08, 0.95))
    assert "stride-2 convolutions instead of pooling, training accuracy exceeds validation by " \
        "more" in _rule("pooling_gap", metrics)  # fmt: skip
    assert "fits more of the shuffled labels" in _rule("pooling_fit", metrics)


def _entries(metrics):
    recorded = results.load_all("full")["Q1"]["metrics"]  # what the other entries read
    ctx = Context({**recorded, **metrics}, {"mnist_test": 10000, "mnist_val": 6000})
    return {e.claim.id: e for e in briefs.ledger("Q1", ctx)}


def test_memorisation_claims_turn_on_the_shuffled_fit_against_chance():
    memorising = _entries(_memo((0.01, 0.95), (0.02, 0.99), (0.01, 0.97)))
    assert (
        memorising["Q1.14"].verdict == "wrong" and "95.0% of 1,000" in memorising["Q1.14"].evidence
    )
    assert memorising["Q1.36"].verdict == "partly right" and "99.0%" in memorising["Q1.36"].evidence
    chance = _entries(_memo((0.01, 0.1), (0.02, 0.11), (0.01, 0.1)))
    assert chance["Q1.14"].verdict == "confirmed" and chance["Q1.36"].verdict == "confirmed"
    below = _entries(_memo((0.01, 0.0), (0.02, 0.0), (0.01, 0.0), images=10**6))
    assert below["Q1.14"].verdict == "confirmed" and "below" in below["Q1.14"].evidence


def test_unbuildable_share_claim():
    some = _entries(
        {"answer_space_unbuildable_share": 0.2, "answer_space_p_ten_trials_buildable": 0.107}
    )["Q1.22"]
    assert some.verdict == "partly right" and "20.0%" in some.evidence and "0.11" in some.evidence
    none = _entries(
        {"answer_space_unbuildable_share": 0.0, "answer_space_p_ten_trials_buildable": 1.0}
    )["Q1.22"]
    assert none.verdict == "confirmed"


def test_every_q1_rule_names_declared_metrics():
    declared = set(declarations.get("Q1").metric_names)
    for rule in declarations.get("Q1").rules.values():
        assert {ref.split(".")[0] for ref in rule.needs()} <= declared
