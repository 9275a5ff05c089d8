"""dlhw.declare and the ledger rendering: verdicts chosen by the numbers and their margin."""

import pytest

from dlhw import briefs, declarations
from dlhw.declare import (
    Check,
    Claim,
    Compare,
    Context,
    Declaration,
    DeclarationError,
    Metric,
    NoMargin,
    Outcome,
    Spread,
    TestSE,
)

HIGHER = Outcome("confirmed", "A ({a:.3f}) beats B ({b:.3f}).")
LOWER = Outcome("wrong", "B ({b:.3f}) beats A ({a:.3f}).")
TIE = Outcome("partly right", "A and B are indistinguishable.")
SE_RULE = Compare("a", "b", TestSE(10_000), above=HIGHER, below=LOWER, tie=TIE)
TOY = Declaration(
    "Q9",
    "Q9, a toy",
    "`dlhw.toy`",
    "Does A beat B?",
    (Metric("a", "accuracy of A", "fraction"), Metric("b", "accuracy of B", "fraction")),
    ("A scores {a:.2%}: {verdicts[ab]}",),
    rules={"ab": SE_RULE},
    claims=(
        Claim("Q9.1", "L1", "A beats B.", "measurement", SE_RULE, "", "Section"),
        Claim("Q9.2", "L2", "A is a letter.", "theory", "confirmed", "The alphabet."),
        Claim("Q9.3", "L3", "A beats C.", "measurement", "wrong", "", needs=("c",)),
    ),
)


@pytest.fixture()
def toy(monkeypatch):
    monkeypatch.setattr(declarations, "ALL", {"Q9": TOY})


@pytest.mark.parametrize(
    ("a", "b", "verdict", "sentence"),
    [
        (0.99, 0.98, "confirmed", "A (0.990) beats B (0.980)."),
        (0.98, 0.99, "wrong", "B (0.990) beats A (0.980)."),  # the numbers reverse it
        (0.990, 0.989, "partly right", "A and B are indistinguishable."),  # inside 2·SE
    ],
)
def test_the_numbers_choose_the_verdict_and_its_wording(toy, a, b, verdict, sentence):
    payload = {"profile": "full", "metrics": {"a": a, "b": b}}
    text = briefs.render_brief("Q9", payload, "x.json")
    assert f"- A scores {a:.2%}: {sentence}" in text
    (entry, theory, pending) = briefs.ledger("Q9", briefs.context(payload))
    assert entry.verdict == verdict and entry.evidence.startswith(sentence)
    assert "(2·SE, n = 10,000 test images)" in entry.evidence
    assert theory.verdict == "confirmed" and theory.evidence == "The alphabet."
    assert pending.verdict == "not checked yet" and "Needs c" in pending.evidence
    assert f'<a id="Q9.1"></a>**Q9.1** (L1, measurement) A beats B. | **{verdict}** |' in text
    assert "[Section](#Section)" in text


def test_the_standard_error_margin_is_two_combined_standard_errors():
    ctx = Context({"a": 0.99, "b": 0.98})
    se = ((0.99 * 0.01 + 0.98 * 0.02) / 10_000) ** 0.5
    assert TestSE(10_000).width(0.99, 0.98, ctx, False) == pytest.approx(2 * se)
    assert TestSE("mnist_test").count(Context({}, {"mnist_test": 256})) == 256
    assert TestSE("n").count(Context({"n": 500})) == 500  # a recorded n wins


def test_a_spread_over_seeds_and_no_margin():
    spread = Compare("s", 0.0, Spread("s_std", over="folds"), HIGHER, LOWER, TIE)
    assert spread.judge(Context({"s": 0.01, "s_std": 0.02})).case == "tie"
    assert spread.judge(Context({"s": -0.05, "s_std": 0.02})).case == "below"
    assert "2·s.d. over folds" in spread.judge(Context({"s": 0.1, "s_std": 0.02})).detail
    one = Compare("a", "b", NoMargin(), HIGHER, LOWER)
    assert one.judge(Context({"a": 0.5, "b": 0.5 + 1e-9})).case == "below"  # the sign decides
    ctx = briefs.context({"metrics": {"a": 0.6, "b": 0.5}, "profile": "full"})
    assert briefs._sentence("Q9", one, ctx) == (
        "confirmed",
        "A (0.600) beats B (0.500) (one run, no margin).",
    )


def test_a_check_and_a_missing_metric():
    check = Check(
        ("n",), lambda m: m["n"] == 260, Outcome("confirmed", "260."), Outcome("wrong", "{n}.")
    )
    assert check.judge(Context({"n": 260})).outcome.verdict == "confirmed"
    assert check.judge(Context({"n": 300})).outcome.verdict == "wrong"
    ctx = briefs.context({"metrics": {}, "profile": "full"})
    assert briefs._sentence("Q9", check, ctx)[0] == "not checked yet"
    maybe = Outcome("not checkable here", "Neither reached it.")
    undecided = Check(("n",), lambda m: None, Outcome("confirmed", ""), Outcome("wrong", ""))
    with pytest.raises(DeclarationError, match="no undecided outcome"):
        undecided.judge(Context({"n": 1}))
    undecided = Check(
        ("n",), lambda m: None, Outcome("confirmed", ""), Outcome("wrong", ""), "", maybe
    )
    assert undecided.judge(Context({"n": 1})).outcome == maybe


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ((Claim("Q9.1", "L1", "x", "theory", "maybe", ""),), "verdict 'maybe' not one of"),
        ((Claim("Q9.1", "L1", "x", "opinion", "wrong", ""),), "kind 'opinion'"),
        ((Claim("Q8.1", "L1", "x", "theory", "wrong", ""),), "Q8.1 is not an id of Q9"),
        ((Claim("Q9.1", "L1", "x", "theory", "wrong", ""),) * 2, "repeats a claim id"),
    ],
)
def test_a_declaration_that_breaks_the_schema_is_refused(claims, message):
    with pytest.raises(DeclarationError, match=message):
        Declaration("Q9", "", "", "", (), (), claims=claims)


def test_counts_name_each_verdict_once(toy):
    payload = {"profile": "full", "metrics": {"a": 0.99, "b": 0.98}}
    line = briefs.counts(briefs.ledger("Q9", briefs.context(payload)))
    assert line == "3 claims: 2 confirmed, 1 not checked yet"


@pytest.mark.parametrize("question", list(declarations.ALL))
def test_every_section_a_ledger_links_is_a_heading_of_its_notebook(question):
    import nbformat

    from dlhw import paths
    from dlhw.runner import discover

    path = discover(paths.notebooks_dir())[question]
    headings = {
        line.lstrip("#").strip()
        for cell in nbformat.read(path, as_version=4).cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("#")
    }
    for claim in declarations.get(question).claims:
        assert not claim.section or claim.section in headings, (claim.id, claim.section)


def test_a_run_against_the_committed_one(toy):
    """Each computed verdict beside a reference run's: same, indistinguishable at this size
    (this run's numbers inside the margin), or differs."""
    full = {"profile": "full", "metrics": {"a": 0.99, "b": 0.98}}
    same = {"profile": "quick", "metrics": {"a": 0.99, "b": 0.98}}
    tie = {"profile": "quick", "metrics": {"a": 0.990, "b": 0.989}}
    flip = {"profile": "quick", "metrics": {"a": 0.98, "b": 0.99}}
    assert briefs.against_reference("Q9", same, full) == [
        ("Q9.1", "confirmed", "confirmed", "same")
    ]
    assert briefs.against_reference("Q9", tie, full)[0][3] == "indistinguishable at this size"
    assert briefs.against_reference("Q9", flip, full)[0][1:] == ("wrong", "confirmed", "differs")
