"""Safe writes of the files a user keeps: notebooks, results JSON, the README, tuner results.

Every write goes to a temporary file in the target's folder and then replaces the target with
`os.replace`, which is atomic on POSIX and Windows: an interrupt or a crash leaves either the
old file or the new one, whole, never a truncated mix.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write_text(path: str | Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write `text` to `path` atomically (temporary file in the same folder, then replace)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding=encoding) as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def atomic_write_notebook(notebook, path: str | Path) -> Path:
    """Write an nbformat notebook to `path` atomically (see `atomic_write_text`)."""
    import nbformat

    return atomic_write_text(path, nbformat.writes(notebook) + "\n")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
