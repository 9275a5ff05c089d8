"""The notebooks' set-up cell: a kernel without the package gets one line saying how to
install it (Colab, a system Jupyter), not a ModuleNotFoundError traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dlhw import paths
from dlhw.runner import discover

NOTEBOOKS = list(discover(paths.notebooks_dir()).values())  # the committed ones, Q1 first


def _guard(path: Path) -> str:
    """The set-up cell's lines up to the first blank line: the guarded `import dlhw`."""
    notebook = nbformat.read(path, as_version=4)
    first = next(c for c in notebook.cells if c.cell_type == "code")
    return first.source.split("\n\n", 1)[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_setup_cell_says_how_to_install_when_dlhw_is_missing(path):
    guard = _guard(path)
    assert (
        "import dlhw" in guard or "from dlhw import" in guard
    ) and "ModuleNotFoundError" in guard
    # sys.modules[name] = None makes `import name` raise ModuleNotFoundError, as in a kernel
    # where the package is not installed.
    script = f"import sys\nsys.modules['dlhw'] = None\n{guard}\nprint('went on')"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 1 and "went on" not in done.stdout
    message = done.stderr.strip()
    assert "\n" not in message, message  # one line, no traceback
    assert "make lab" in message and "pip install -r requirements.txt -e ." in message


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_setup_cell_is_silent_when_dlhw_is_installed(path):
    done = subprocess.run(
        [sys.executable, "-c", _guard(path) + "\nprint('went on')"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and done.stdout == "went on\n" and done.stderr == ""


def _setup_cell(path: Path):
    notebook = nbformat.read(path, as_version=4)
    return next(c for c in notebook.cells if c.cell_type == "code")


SHARED = [p for p in NOTEBOOKS if "session.start(" in _setup_cell(p).source]


@pytest.mark.parametrize("path", SHARED, ids=lambda p: p.stem)
def test_a_shared_setup_cell_is_stored_with_its_own_output(path):
    """A notebook whose set-up calls `session.start` was executed with it (full profile): its
    stored first output names the profile and says how to change it, not an old dataclass repr."""
    first = _setup_cell(path)
    text = "".join(o.get("text", "") for o in first.outputs if o.get("output_type") == "stream")
    assert text.startswith("seed 42; profile full (")
    assert "%env DLHW_PROFILE=quick" in text and "make lab" in text


def test_every_notebook_starts_with_the_shared_setup():
    """One first cell for all: quiet logs, seeds and the profile banner come from one helper."""
    missing = [p.stem for p in NOTEBOOKS if p not in SHARED]
    assert not missing, f"first cell does not call session.start: {missing}"
