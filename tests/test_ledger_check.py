"""dlhw.ledger_check through `dlhw claims`: a stale verdict, a contradicted quote and a story
of earlier runs each fail; re-rendering from the changed numbers reverses the wording."""

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from dlhw import cli, ledger_check

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def project(tmp_path, monkeypatch):
    """A copy of the committed notebooks, results, README and docs, checked through DLHW_ROOT."""
    for folder in ("notebooks", "results/full", "docs"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    for name in ("README.md", "results/run-quick.json"):  # the README's quick line needs both
        shutil.copy(ROOT / name, tmp_path / name)
    monkeypatch.setenv("DLHW_ROOT", str(tmp_path))
    monkeypatch.delenv("DLHW_RESULTS_DIR", raising=False)
    return tmp_path


def _cell(path: Path, index: int) -> str:
    return nbformat.read(path, as_version=4).cells[index].source


def _edit_markdown(path: Path, index: int, text: str) -> None:
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[index].source += text
    nbformat.write(notebook, path)


def test_the_committed_project_has_no_stale_verdict_and_no_history(project):
    assert ledger_check.check_words(project) == []


def test_reversed_numbers_make_the_stored_verdict_stale_and_render_reversed(project, capsys):
    results = project / "results" / "full" / "Q2.json"
    notebook = project / "notebooks" / "Q2_rnn_from_scratch.ipynb"
    assert "indistinguishable on this test set" in _cell(notebook, 1)
    payload = json.loads(results.read_text())
    payload["metrics"]["gru_test_accuracy"] = 0.95  # far below the LSTM's, beyond 2·SE
    results.write_text(json.dumps(payload))
    assert cli.main(["claims", "--quiet"]) == 1
    assert "STALE notebooks/Q2_rnn_from_scratch.ipynb cell 1" in capsys.readouterr().out
    assert cli.main(["brief", "--notebooks", str(project / "notebooks")]) == 0
    assert "the LSTM scores higher." in _cell(notebook, 1)
    assert "STALE notebooks" not in "\n".join(ledger_check.check_words(project))


def test_a_quoted_verdict_must_be_the_computed_one(project):
    notebook = project / "notebooks" / "Q2_rnn_from_scratch.ipynb"
    _edit_markdown(notebook, 0, "\n\nThe answer is [Q2.1: confirmed](#Q2.1).")
    problems = ledger_check.check_words(project)
    assert problems == [
        "VERDICT notebooks/Q2_rnn_from_scratch.ipynb cell 0: says Q2.1 is 'confirmed'; its "
        "numbers give 'not checkable here'."
    ]
    text = "[Q2.1: not checkable here](#Q2.1) and [Q2.9: wrong](#Q2.9)"
    computed = ledger_check.computed_verdicts()
    example = "a quote looks like `[Q2.1: wrong](#Q2.1)` (in backticks: an example)"
    assert ledger_check.quoted_verdicts(example, "x", computed) == []
    assert ledger_check.quoted_verdicts(text, "x", computed) == [
        "VERDICT x: Q2.9 is not a ledger entry."
    ]


@pytest.mark.parametrize("phrase", ["The previous stored run", "an earlier version of it"])
def test_a_story_of_earlier_runs_fails_in_prose_comments_and_docs(project, phrase):
    notebook = project / "notebooks" / "Q2_rnn_from_scratch.ipynb"
    _edit_markdown(notebook, 0, f"\n\n{phrase} said otherwise.")
    (project / "docs" / "extra.md").write_text(f"# Extra\n\n{phrase} was slower.\n")
    problems = ledger_check.check_words(project)
    assert len(problems) == 2
    assert problems[0].startswith("HISTORY notebooks/Q2_rnn_from_scratch.ipynb cell 0:")
    assert problems[1].startswith("HISTORY docs/extra.md:3:")
    assert ledger_check.narration("# keep the previous run's files", "c") != []
    assert ledger_check.narration("the previous layer's output, an earlier layer", "c") == []
    assert ledger_check.narration("an example in code: `the previous run`", "c") == []


def test_stale_readme_answers_fail(project):
    readme = project / "README.md"
    text = readme.read_text()
    start = text.index("<!-- questions:start -->") + len("<!-- questions:start -->")
    readme.write_text(text[:start] + "\n- a typed answer" + text[start:])
    assert any(p.startswith("STALE README.md") for p in ledger_check.check_words(project))


def test_a_stale_quick_run_line_fails(project):
    """The README's "how long `make run` takes" line is rendered from results/run-quick.json:
    a typed time, or a run file changed after rendering, is STALE."""
    readme = project / "README.md"
    text = readme.read_text()
    start = text.index("<!-- quick-run:start -->") + len("<!-- quick-run:start -->")
    readme.write_text(text[:start] + "\n`make run` takes 3 minutes." + text[start:])
    problems = ledger_check.check_words(project)
    assert any(p.startswith("STALE README.md's quick-run line") for p in problems)
