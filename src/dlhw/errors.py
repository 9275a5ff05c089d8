"""The one base of every error the package raises on purpose.

Each module keeps its own class (`SeriesError`, `GradCamError`, ...) so a caller can catch one
question's errors, but all derive from `DlhwError`, so the command line catches them in one place
and prints their message, which names the problem and the fix, as one line.
"""

from __future__ import annotations


class DlhwError(Exception):
    """Bad input, a missing file or an unsupported setting, said in words a user can act on."""
