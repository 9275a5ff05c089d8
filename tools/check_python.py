"""Check the interpreter `make` was asked to use before it creates or reuses `.venv`.

Run by the Makefile as `$(PYTHON) tools/check_python.py VENV ASKED`, with only the standard
library and syntax old interpreters still parse, so that an unsupported Python gets one clear
line instead of a resolver error from pip ten seconds later. ASKED is "yes" when PYTHON was
given on the command line or in the environment: then a `.venv` made by another version is
reported instead of being silently reused.
"""

# ruff: noqa: UP031 (%-formatting on purpose: the interpreter checked may be very old)
import os
import sys

SUPPORTED = ((3, 10), (3, 11), (3, 12), (3, 13))


def _dotted(version):
    return "%d.%d" % version


def venv_version(venv):
    """The major.minor version that created `venv` (from its pyvenv.cfg), or None."""
    cfg = os.path.join(venv, "pyvenv.cfg")
    if not os.path.exists(cfg):
        return None
    with open(cfg) as handle:
        for line in handle:
            key, _, value = line.partition("=")
            if key.strip() in ("version", "version_info"):
                parts = value.strip().split(".")
                return int(parts[0]), int(parts[1])
    return None


def problem(current, venv, asked):
    """The one-line complaint about `current` (major, minor) and `venv`, or None if fine."""
    names = ", ".join(_dotted(v) for v in SUPPORTED)
    if current not in SUPPORTED:
        return (
            "Python %s is not supported (supported: %s). Choose one, for example: "
            "make run PYTHON=python3.12" % (_dotted(current), names)
        )
    made_by = venv_version(venv)
    if asked and made_by is not None and made_by != current:
        return (
            "%s was made by Python %s, but Python %s was asked for. Remove it (rm -rf %s) to "
            "rebuild with %s, or drop PYTHON= to keep using %s."
            % (venv, _dotted(made_by), _dotted(current), venv, _dotted(current), _dotted(made_by))
        )
    return None


if __name__ == "__main__":
    venv = sys.argv[1] if len(sys.argv) > 1 else ".venv"
    asked = len(sys.argv) > 2 and sys.argv[2] == "yes"
    message = problem(tuple(sys.version_info[:2]), venv, asked)
    if message:
        sys.stderr.write("make: " + message + "\n")
        sys.exit(2)
