"""Where the project's folders are: data/, notebooks/, results/ (committed), build/.

The root is `DLHW_ROOT` when set, else the checkout that holds this package (src layout,
editable install), else the nearest parent of the working directory with a `data/` folder.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """Return the project's root folder (the one with `data/` and `notebooks/`)."""
    env = os.environ.get("DLHW_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parents[2]
    if (here / "pyproject.toml").is_file() and (here / "data").is_dir():
        return here
    cwd = Path.cwd().resolve()
    for candidate in (cwd, *cwd.parents):
        if (candidate / "data").is_dir() and (candidate / "notebooks").is_dir():
            return candidate
    return cwd


def data_dir() -> Path:
    """Folder of the vendored datasets (`DLHW_DATA_DIR` overrides it)."""
    env = os.environ.get("DLHW_DATA_DIR")
    return Path(env).resolve() if env else project_root() / "data"


def notebooks_dir() -> Path:
    """Folder of the question notebooks."""
    return project_root() / "notebooks"


def results_dir() -> Path:
    """Folder of the committed metrics, the full-profile record (`DLHW_RESULTS_DIR`
    overrides it). Only `dlhw run --in-place` records here; see `run_results_dir`."""
    env = os.environ.get("DLHW_RESULTS_DIR")
    return Path(env).resolve() if env else project_root() / "results"


RECORD_ENV = "DLHW_RECORD_DIR"


def run_results_dir() -> Path:
    """Folder where a run records its metrics: `DLHW_RECORD_DIR` when set (`dlhw run
    --in-place` points it at the committed `results_dir()`), else `build/results/`, so that a
    notebook run in Jupyter or a copy run by `dlhw run` never changes the committed record.
    A relative `DLHW_RECORD_DIR` is taken from the project root, not from the kernel's working
    folder (`notebooks/`), so that the same value means the same folder everywhere."""
    env = os.environ.get(RECORD_ENV)
    return (project_root() / env).resolve() if env else build_dir() / "results"


BUILD_ENV = "DLHW_BUILD_DIR"


def build_dir() -> Path:
    """Folder for generated, git-ignored output (executed notebooks, tuner state, your runs'
    results): `build/`, or `DLHW_BUILD_DIR` (relative to the project root) so that two runs at
    once, such as CI's on two Pythons, never share tuner state."""
    env = os.environ.get(BUILD_ENV)
    return (project_root() / env).resolve() if env else project_root() / "build"


def relative(path: Path) -> Path:
    """`path` relative to the project root when it lies inside it (for printing in a
    notebook without an absolute path), else unchanged."""
    path = Path(path).resolve()
    try:
        return path.relative_to(project_root())
    except ValueError:
        return path
