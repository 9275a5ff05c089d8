"""The codebase's shape: every module of src/dlhw stays under 400 lines and every function
under 60, so that a newcomer reads one concern at a time. A question's declaration
(`dlhw/declarations/`) is data, a ledger of the written answer's claims as long as the answer
makes them: its line count is not capped, its functions are."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "dlhw"
MODULES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_modules_and_functions_stay_small(path):
    text = path.read_text()
    assert path.parent.name == "declarations" or len(text.splitlines()) <= 400, path.name
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef):
            assert node.end_lineno - node.lineno < 60, f"{path.name}: {node.name}"
