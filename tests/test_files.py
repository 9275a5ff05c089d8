"""dlhw.files: atomic writes leave the old file whole when a write fails half-way."""

import os

import nbformat
import pytest

from dlhw import files


def test_atomic_write_replaces_and_keeps_permissions(tmp_path):
    target = tmp_path / "sub" / "a.json"
    files.atomic_write_text(target, "one")
    target.chmod(0o640)
    files.atomic_write_text(target, "two")
    assert target.read_text() == "two" and (target.stat().st_mode & 0o777) == 0o640
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.json"]  # no temporary left


def test_a_crash_during_the_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    target = tmp_path / "Q1.json"
    target.write_text('{"old": "and whole"}')

    class Crash(Exception):
        pass

    real_fdopen = os.fdopen

    def crashing_fdopen(*args, **kwargs):
        stream = real_fdopen(*args, **kwargs)
        original = stream.write

        def write(text):
            original(text[: len(text) // 2])  # half of it reaches the disk, then the crash
            raise Crash

        stream.write = write
        return stream

    monkeypatch.setattr(files.os, "fdopen", crashing_fdopen)
    with pytest.raises(Crash):
        files.atomic_write_text(target, '{"new": "' + "x" * 1000 + '"}')
    assert target.read_text() == '{"old": "and whole"}'
    assert [p.name for p in tmp_path.iterdir()] == ["Q1.json"]


def test_an_interrupt_before_the_replace_leaves_the_old_notebook(tmp_path, monkeypatch):
    target = tmp_path / "Q7.ipynb"
    old = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("old")])
    nbformat.write(old, target)
    before = target.read_bytes()

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "replace", interrupted)
    new = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("new")])
    with pytest.raises(KeyboardInterrupt):
        files.atomic_write_notebook(new, target)
    assert target.read_bytes() == before and len(list(tmp_path.iterdir())) == 1
    monkeypatch.undo()
    files.atomic_write_notebook(new, target)
    assert nbformat.read(target, as_version=4).cells[0].source == "new"
    assert target.read_text().endswith("}\n")  # as nbformat.write leaves it
