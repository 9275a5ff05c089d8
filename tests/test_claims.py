"""dlhw.claims: which numbers count as quoted measurements, how they match recorded values,
and `dlhw claims` failing on a copy of the project whose prose no longer matches."""

import json
import shutil
from pathlib import Path

import pytest

from dlhw import claims, cli

ROOT = Path(__file__).resolve().parents[1]


def texts(markdown: str) -> list[str]:
    return [claim.text for claim in claims.find_claims(markdown, "x")]


def test_the_convention_checks_measurements_and_skips_the_rest():
    quoted = texts(
        "R² −3.366 and +0.0090, 99.47% test accuracy, 47,530 parameters, 2.09 M, 4.5e-08, "
        "gaps of 0.27-0.33 points. Not checked: 15 epochs, 28x28 images, in 2017, Q3, "
        "section 2, Python 3.11, KerasTuner 1.4.8, Python >= 3.10, `80%` split, `1e-3`, "
        "$10^{-3}$, [a link](https://example.org/1.5), x1.5 and v2."
    )
    assert quoted == ["−3.366", "+0.0090", "99.47%", "47,530", "2.09 M", "4.5e-08", "0.27", "-0.33"]


@pytest.mark.parametrize(
    ("quote", "value", "ok"),
    [
        ("0.9947", 0.99470001, True),
        ("0.995", 0.9947, True),  # a coarser rounding of the same value
        ("0.9946", 0.9947, False),
        ("0.26", 0.2690, False),  # a difference of rounded values
        ("99.47%", 0.9947, True),
        ("2.09 M", 2_085_224, True),
        ("2.08 M", 2_085_224, False),  # truncated, not rounded
        ("4.5e-08", 4.47e-08, True),
        ("4.4e-08", 4.47e-08, False),
        ("0.03", -0.03, True),  # "fell by 0.03"
        ("−0.03", 0.03, False),
        ("47,530", 47530, True),
        ("47,531", 47530, False),
    ],
)
def test_matching_at_the_rounding_shown(quote, value, ok):
    (claim,) = claims.find_claims(f"we measured {quote} here", "x")
    assert claims.matches(claim, value) is ok


@pytest.fixture()
def project(tmp_path, monkeypatch):
    """A copy of the committed notebooks, results and README, checked through DLHW_ROOT."""
    for folder in ("notebooks", "results/full", "docs"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    for name in ("README.md", "results/run-quick.json"):  # the README's quick line needs both
        shutil.copy(ROOT / name, tmp_path / name)
    monkeypatch.setenv("DLHW_ROOT", str(tmp_path))
    monkeypatch.delenv("DLHW_RESULTS_DIR", raising=False)
    return tmp_path


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.slow
def test_the_committed_project_passes_and_a_changed_number_fails(project, capsys):
    assert cli.main(["claims", "--quiet"]) == 0, capsys.readouterr().out
    assert " 0 not traced." in capsys.readouterr().out
    notebook = project / "notebooks" / "Q2_rnn_from_scratch.ipynb"
    _replace(notebook, "at most 2.7e-07", "at most 3e-07")  # the same value, coarser
    assert cli.main(["claims", "--quiet"]) == 0
    capsys.readouterr()
    _replace(notebook, "at most 3e-07", "at most 3.7e-07")
    assert cli.main(["claims", "--quiet"]) == 1
    out = capsys.readouterr().out
    cell = next(
        i
        for i, c in enumerate(json.loads(notebook.read_text())["cells"])
        if "at most 3.7e-07" in "".join(c["source"])
    )
    assert (
        f"MISMATCH notebooks/Q2_rnn_from_scratch.ipynb cell {cell}:" in out and "'3.7e-07'" in out
    )


@pytest.mark.slow
def test_a_changed_number_in_generated_text_is_stale_and_an_untraceable_one_fails(project, capsys):
    """Cell 1 and the README's answers are checked whole (re-rendered); the rest of the
    README and docs/ number by number."""
    readme = project / "README.md"
    recorded = json.loads((project / "results/full/Q2.json").read_text())["metrics"]
    quoted = f"{recorded['lstm_test_accuracy']:.2%} test accuracy"  # Q2's line in the README
    _replace(readme, quoted, f"{recorded['lstm_test_accuracy'] + 0.0001:.2%} test accuracy")
    assert cli.main(["claims", "--quiet"]) == 1
    assert "STALE README.md answers" in capsys.readouterr().out
    shutil.copy(ROOT / "README.md", readme)
    page = project / "docs" / "layout.md"
    page.write_text(page.read_text() + "\nIt runs 4321.5 times faster.\n")  # traces to nothing
    assert cli.main(["claims", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "MISMATCH docs/layout.md" in out and "'4321.5'" in out


def test_a_missing_results_file_is_a_clear_error(project, capsys):
    (project / "results" / "full" / "Q2.json").unlink()
    assert cli.main(["claims"]) == 2
    assert "Q2.json not found: run `make full`" in capsys.readouterr().err


def test_recorded_lists_are_read_element_by_element(tmp_path):
    payload = {"metrics": {"norms": {"lr0_5": [[1.5, 2.25]]}, "flag": True, "name": "x"}}
    (tmp_path / "Q6.json").write_text(json.dumps(payload))
    assert claims.recorded_values("Q6", tmp_path) == [
        ("Q6.norms.lr0_5[0][0]", 1.5),
        ("Q6.norms.lr0_5[0][1]", 2.25),
    ]
