"""One error base: every error class of the package derives from `DlhwError`, and the command
line turns any of them into one line and exit status 2, whatever module raised it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import dlhw
from dlhw import cli
from dlhw.errors import DlhwError


def _error_classes() -> list[type]:
    found = []
    for info in pkgutil.walk_packages(dlhw.__path__, "dlhw."):
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(obj, Exception)
                and not issubclass(obj, Warning)
                and obj.__module__ == module.__name__
            ):
                found.append(obj)
    return found


def test_every_package_error_derives_from_dlhw_error():
    classes = _error_classes()
    assert len(classes) >= 10  # the walk found the modules' classes
    assert [c.__qualname__ for c in classes if not issubclass(c, DlhwError)] == []


@pytest.mark.parametrize("error", _error_classes(), ids=lambda c: c.__name__)
def test_the_command_line_prints_any_package_error_as_one_line(error, monkeypatch, capsys):
    def fails(args):
        raise error("the message names the problem and the fix")

    monkeypatch.setattr(cli, "cmd_list", fails)
    assert cli.main(["list"]) == 2
    assert capsys.readouterr().err == "dlhw: error: the message names the problem and the fix\n"


def test_other_exceptions_are_not_swallowed(monkeypatch):
    def crashes(args):
        raise KeyError("a bug, not bad input")

    monkeypatch.setattr(cli, "cmd_list", crashes)
    with pytest.raises(KeyError):
        cli.main(["list"])
