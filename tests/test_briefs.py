"""dlhw.briefs: templates render from the recorded results only, into cell 1 of a notebook."""

import nbformat
import pytest

from dlhw import briefs, claims, declarations, results


@pytest.mark.parametrize("question", list(declarations.ALL))
def test_every_brief_renders_from_the_committed_results_and_every_number_traces(question):
    """The bullets' numbers are recorded values (the ledger's margins are computed)."""
    payload = results.load_all("full")[question]
    text = briefs.render_brief(question, payload, f"results/full/{question}.json")
    assert text.startswith(briefs.HEADING) and text.count("\n- ") >= 3
    bullets = text.split(briefs.LEDGER_HEADING)[0]
    recorded = claims.recorded_values(question)
    found = claims.find_claims(bullets, question)
    assert found and all(v.matched is not None for v in claims.check(found, recorded))
    assert briefs.LEDGER_HEADING in text and "| **" in text


def test_a_missing_metric_names_itself():
    with pytest.raises(briefs.BriefError, match="Q7's brief needs the metric 'params'"):
        briefs.render_brief("Q7", {"metrics": {"test_accuracy": 0.9}}, "x")


def test_set_brief_inserts_after_the_title_then_replaces():
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("x = 1")]
    )
    assert briefs.set_brief(notebook, f"{briefs.HEADING}\n\n- one")
    assert [c.cell_type for c in notebook.cells] == ["markdown", "markdown", "code"]
    assert not briefs.set_brief(notebook, f"{briefs.HEADING}\n\n- one")  # unchanged
    assert briefs.set_brief(notebook, f"{briefs.HEADING}\n\n- two")
    assert len(notebook.cells) == 3 and notebook.cells[1].source.endswith("two")
    with pytest.raises(briefs.BriefError, match="starts with its title cell"):
        briefs.set_brief(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("")]), "x")


def test_readme_section_links_each_notebook():
    payloads = results.load_all("full")
    names = {q: f"{q}_x.ipynb" for q in payloads}
    section = briefs.render_readme(payloads, names)
    assert section.count("\n") == 2 * len(declarations.ALL)  # the brief, then the ledger line
    assert (
        "- **Q7, Grad-CAM** ([notebook](notebooks/Q7_x.ipynb), [book page](build/book/Q7_x.html), "
        "`dlhw.gradcam`): "
    ) in section
    assert "[The written answer, checked](notebooks/Q7_x.ipynb#The-written-answer,-checked): " in (
        section
    )


def test_a_null_metric_renders_as_not_reached():
    """Q6 records null for a target a model never reached; the brief says so in words."""
    metrics = dict(results.load_all("full")["Q6"]["metrics"])
    metrics.update(epochs_to_target_bn=2, seconds_to_target_bn=12.3)
    metrics.update(epochs_to_target_plain=None, seconds_to_target_plain=None)
    text = briefs.render_brief("Q6", {"metrics": metrics, "profile": "quick"}, "x")
    assert "BN (2, 12), plain (not reached, not reached) on seed 0" in text


def test_q2_and_q6_rules_follow_the_numbers():
    """Each new rule gives each of its cases when the numbers call for it."""

    def cells(simple, gated):
        ranges = {"simplernn": simple, "lstm": gated, "gru": gated}
        return {
            f"grad_first_last_{end}": {k: {"init": v[i]} for k, v in ranges.items()}
            for i, end in enumerate(("min", "max"))
        } | {"grad_first_last": {k: {"init": v[0]} for k, v in ranges.items()}}

    def vanishing(simple, gated):
        return briefs.rule_sentence("Q2", "vanishing_init", cells(simple, gated), "full")

    assert "less of the loss's gradient" in vanishing((0.1, 0.2), (0.3, 0.4))
    assert "more of the loss's gradient" in vanishing((0.5, 0.6), (0.3, 0.4))
    assert "not on one side" in vanishing((0.1, 0.35), (0.3, 0.4))
    stable = {"largest_stable_lr_plain": 0.5, "largest_stable_lr_bn": 10.0}
    top = briefs.rule_sentence(
        "Q6", "stable_rates", stable | {"largest_stable_lr_bn_at_top": True}, "full"
    )
    assert "at least 10" in top
    below = stable | {"largest_stable_lr_bn_at_top": False}
    assert "is 10 with BN" in briefs.rule_sentence("Q6", "stable_rates", below, "full")
    same = stable | {"largest_stable_lr_bn": 0.5, "largest_stable_lr_bn_at_top": False}
    assert "not stable at a larger" in briefs.rule_sentence("Q6", "stable_rates", same, "full")
    sweep = {"sweep_mode_gap": {b: 0.0 for b in ("b2", "b4", "b8", "b128")}}
    for ratios, words in (((0.4, 0.4, 0.4), "converges at batch 2, 4 and 8"),
                          ((0.9, 0.9, 0.9), "does not converge"),
                          ((0.9, 0.4, 0.4), "converges at some")):  # fmt: skip
        sweep["sweep_loss_ratio"] = dict(zip(("b2", "b4", "b8"), ratios, strict=True))
        assert words in briefs.rule_sentence("Q6", "small_batches", sweep, "full")


def test_rule_sentence_follows_the_numbers_it_is_given():
    chain = briefs.rule_sentence("Q4", "projection", {"projection_share": 0.2}, "full")
    projection = briefs.rule_sentence("Q4", "projection", {"projection_share": 0.7}, "full")
    assert "+20%" in chain and "chain of recurrent steps itself" in chain
    assert "+70%" in projection and "not the recurrent chain" in projection
    slower = briefs.rule_sentence("Q4", "projection", {"projection_share": -0.69}, "full")
    assert "-69%" in slower and "chain of recurrent steps itself" in slower
    pair = {"pooling_accuracy_mean": {"first": 0.95, "between": 0.90}, "pooling_spread": 0.01}
    assert "scores higher" in briefs.rule_sentence("Q4", "receptive_field_pair", pair, "full")
    pair["pooling_spread"] = 0.03  # 2 x 0.03 > 0.05: within the seeds' spread
    assert "indistinguishable" in briefs.rule_sentence("Q4", "receptive_field_pair", pair, "full")
