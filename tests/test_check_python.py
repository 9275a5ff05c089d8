"""tools/check_python.py: the Makefile's interpreter check, before `.venv` is made or reused."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("check_python", ROOT / "tools" / "check_python.py")
check_python = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_python)


def _venv(tmp_path: Path, version: str) -> Path:
    venv = tmp_path / ".venv"
    venv.mkdir()
    (venv / "pyvenv.cfg").write_text(f"home = /usr/bin\nversion = {version}\n")
    return venv


@pytest.mark.parametrize("version", [(3, 10), (3, 11), (3, 12), (3, 13)])
def test_supported_versions_pass_without_a_venv(tmp_path, version):
    assert check_python.problem(version, str(tmp_path / ".venv"), asked=True) is None


@pytest.mark.parametrize("version", [(3, 9), (3, 14), (2, 7)])
def test_unsupported_versions_get_one_line_naming_the_supported_ones(tmp_path, version):
    message = check_python.problem(version, str(tmp_path / ".venv"), asked=False)
    assert message is not None and "\n" not in message
    assert f"Python {version[0]}.{version[1]} is not supported" in message
    assert "3.10, 3.11, 3.12, 3.13" in message and "PYTHON=python3.12" in message


def test_a_venv_of_another_version_is_reported_when_a_python_is_asked_for(tmp_path):
    venv = _venv(tmp_path, "3.11.7")
    message = check_python.problem((3, 12), str(venv), asked=True)
    assert "made by Python 3.11" in message and "3.12 was asked for" in message
    assert "rm -rf" in message
    # The same version, or no explicit request, reuses the venv.
    assert check_python.problem((3, 11), str(venv), asked=True) is None
    assert check_python.problem((3, 11), str(venv), asked=False) is None


def test_venv_version_reads_pyvenv_cfg(tmp_path):
    assert check_python.venv_version(str(_venv(tmp_path, "3.10.13"))) == (3, 10)
    assert check_python.venv_version(str(tmp_path / "missing")) is None


def test_make_names_an_interpreter_that_does_not_run(tmp_path):
    done = subprocess.run(
        ["make", "-s", "python-check", "PYTHON=python-that-does-not-exist"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "'python-that-does-not-exist' does not run here" in done.stderr
    assert "PYTHON=python3.12" in done.stderr


def test_make_reports_a_venv_made_by_another_interpreter(tmp_path):
    _venv(tmp_path, "3.9.18")
    done = subprocess.run(
        ["make", "-s", "python-check", f"PYTHON={sys.executable}", f"VENV={tmp_path / '.venv'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "made by Python 3.9" in done.stderr
