"""Packaging: the runtime dependencies are what the package and the notebooks import, the
extras hold only tools (tests, lint) and Jupyter's front ends, and requirements.txt pins all."""

from __future__ import annotations

import ast
import sys
from importlib.metadata import distributions, packages_distributions

import nbformat
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from dlhw import paths

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = paths.project_root()
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def _top_level_imports(source: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _modules_of(names: set[str]) -> set[str]:
    """The top-level modules that the installed distributions called `names` provide, read
    from their RECORD files (Python 3.10's packages_distributions reads only top_level.txt,
    which wheels built with meson, such as scikit-learn's, do not ship)."""
    found: set[str] = set()
    for dist in distributions():
        if canonicalize_name(dist.metadata["Name"]) in names:
            for file in dist.files or ():
                top = file.parts[0] if len(file.parts) > 1 else file.name.removesuffix(".py")
                if top.isidentifier():
                    found.add(top)
    return found


def _third_party(modules: set[str]) -> set[str]:
    """The modules in `modules` outside the standard library and this package."""
    return {m for m in modules if m not in sys.stdlib_module_names} - {"dlhw", "__future__"}


def _package_imports() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "src" / "dlhw").rglob("*.py"):
        found |= _top_level_imports(path.read_text())
    return found


def _notebook_imports() -> set[str]:
    found: set[str] = set()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                code = "\n".join(
                    line for line in cell.source.splitlines() if line.lstrip()[:1] not in "%!"
                )
                found |= _top_level_imports(code)
    return found


def test_everything_the_package_and_notebooks_import_is_a_runtime_dependency():
    runtime = _modules_of(_names(PROJECT["dependencies"]))
    imported = _third_party(_package_imports() | _notebook_imports())
    assert {"keras", "sklearn", "tf_keras_vis", "IPython"} <= imported  # the scan found them
    missing = {m: packages_distributions().get(m, [m]) for m in imported - runtime}
    assert missing == {}, f"imported but not in [project] dependencies: {missing}"


def test_the_extras_hold_tools_and_front_ends_only():
    extras = {name: _names(reqs) for name, reqs in PROJECT["optional-dependencies"].items()}
    assert {"pytest", "nbval", "ruff"} <= extras["dev"]
    assert {"jupyterlab", "notebook"} <= extras["notebooks"]
    runtime = _names(PROJECT["dependencies"])
    assert not {"pytest", "nbval", "ruff", "jupyterlab", "notebook"} & runtime
    assert not extras["notebooks"] & runtime, "a runtime dependency repeated in an extra"


def test_requirements_txt_pins_every_declared_dependency():
    pinned = {
        canonicalize_name(Requirement(line.split(";")[0]).name)
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    declared = _names(PROJECT["dependencies"]) | {
        n
        for name, reqs in PROJECT["optional-dependencies"].items()
        if name != "gpu"
        for n in _names(reqs)
    }
    # TensorFlow is pinned as tensorflow-cpu on Linux x86_64 and tensorflow elsewhere.
    assert declared - pinned == set()


def test_the_code_has_a_licence_file_and_pyproject_names_it():
    assert PROJECT["license"] == "MIT"
    assert "MIT License" in (ROOT / "LICENSE").read_text()
