"""`dlhw claims`: every measured number quoted in prose is traced to a recorded value.

It reads every markdown cell of the committed notebooks and the README, finds each quoted
number, and looks for a value that, rounded as the quote is written, equals it: among the
question's recorded metrics (`results/full/<Q>.json`, wall time included) and the numbers
the notebook printed in its own outputs (for the README: those of every notebook).

The convention, for writers:
- **Checked** (a measurement): a number written with a decimal point (`0.9947`, `−3.366`),
  in scientific notation (`4.5e-08`, `7e5`), with a thousands separator (`47,530`), or with a
  percent sign (`99.47%`). A trailing ` M` or ` k` scales it (`2.09 M` parameters).
- **Not checked**: plain integers (sizes, epochs, counts, years, section and cell numbers:
  `28`, `15`, `2017`); sizes written `28x28`; version numbers (after a package name such as
  Python or Keras, after `>=` / `==`, or written `x.y.z`); anything inside backticks or
  `$...$` formulas, and link targets.
- So a setting that needs a decimal point or a percent sign (an 80% split, a 1e-3 learning
  rate) goes in backticks, and a derived number (a ratio, a difference, a share) must be
  computed and printed or recorded by the notebook that quotes it.

A quote matches a value when they differ by at most half a unit of the quote's last digit
(the value as shown at that rounding); an unsigned quote may match a negative value ("fell
by 0.03"); a percentage matches a fraction or a value already in percent.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dlhw import paths, results
from dlhw.errors import DlhwError

VERSIONED = (
    "python",
    "keras",
    "kerastuner",
    "keras-tuner",
    "keras_tuner",
    "tensorflow",
    "tf-keras-vis",
    "numpy",
    "nbformat",
    "nbclient",
    "nbval",
    "jupyterlab",
    "mutmut",
    "ubuntu",
    "pip",
    "pandas",
    "scikit-learn",
    "cuda",
    "version",
)
_NUMBER = re.compile(
    r"(?P<sign>[−+-])?(?P<body>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+(?:[eE][−+-]?\d+)?"
    r"|\d+[eE][−+-]?\d+|\d+)(?P<pct>\s?%)?(?P<scale>\s?[Mk]\b)?"
)
_SKIP = re.compile(
    r"`[^`]*`|\$\$.*?\$\$|\$[^$\n]*\$|\]\([^)]*\)|<[^>]+>|&#?\w+;|https?://\S+", re.DOTALL
)


class ClaimsError(DlhwError, ValueError):
    """The claims cannot be checked (a missing results file, an unreadable notebook)."""


@dataclass(frozen=True)
class Claim:
    """One quoted number: where it is, how it is written, and its value."""

    where: str
    text: str
    value: float
    decimals: int
    significant: int | None  # for scientific notation: significant digits shown
    percent: bool
    context: str


@dataclass(frozen=True)
class Verdict:
    """A claim and the recorded value it matched (None: untraceable)."""

    claim: Claim
    matched: float | None
    source: str


def _is_version(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 25) : start].rstrip().lower()
    word = re.split(r"[\s(]", before)[-1] if before else ""
    after = text[end : end + 2]
    return (
        word.strip("*_'\"") in VERSIONED
        or before.endswith((">=", "==", "<=", "<", ">", "~="))
        or bool(re.match(r"\.\d", after))
        or bool(re.search(r"\d\.$", text[max(0, start - 3) : start]))
    )


def find_claims(text: str, where: str) -> list[Claim]:
    """The checked numbers of a markdown text (see the module's convention)."""
    clean = _SKIP.sub(lambda m: " " * len(m.group()), text)
    claims = []
    for match in _NUMBER.finditer(clean):
        body, sign = match.group("body"), match.group("sign") or ""
        start, end = match.span()
        before = clean[start - 1] if start else " "
        if sign and before.isdigit():
            sign, start = "", start + 1  # the dash of a range such as 0.27-0.33
            before = "-"
        if before.isalnum() or before in "._":
            continue  # part of a word or a name (Q3, x1)
        if re.match(r"\s?[x×]\s?\d", clean[end : end + 3]) or re.search(
            r"\d\s?[x×]\s?$", clean[max(0, start - 3) : start]
        ):
            continue  # a size such as 28x28
        decimal = "." in body and "e" not in body.lower()
        scientific = "e" in body.lower()
        separated = "," in body
        percent = bool(match.group("pct"))
        if not (decimal or scientific or separated or percent):
            continue  # a plain integer: a size, a count, a year, a setting
        if _is_version(clean, start, end):
            continue
        number = body.replace(",", "").replace("−", "-").lower()
        value = float(number) * (-1 if sign in ("−", "-") else 1)
        scale = (match.group("scale") or "").strip()
        value *= {"M": 1e6, "k": 1e3}.get(scale, 1)
        mantissa = number.split("e")[0]
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        significant = None
        if scientific:
            significant = len(mantissa.replace(".", "").lstrip("0")) or 1
        elif scale:
            decimals -= {"M": 6, "k": 3}[scale]
        line = text.count("\n", 0, start) + 1
        context = " ".join(text[max(0, start - 40) : end + 20].split())
        claims.append(
            Claim(
                f"{where}:{line}",
                match.group().strip(),
                value,
                decimals,
                significant,
                percent,
                context,
            )
        )
    return claims


def _numbers(text: str) -> Iterator[float]:
    for token in re.findall(r"[-+]?\d[\d,]*\.?\d*(?:[eE][-+]?\d+)?", text):
        try:
            yield float(token.replace(",", ""))
        except ValueError:
            continue


def recorded_values(question: str, folder: Path | None = None) -> list[tuple[str, float]]:
    """(name, value) of a question's recorded metrics and wall time, `results/full/<Q>.json`."""
    path = (folder or paths.results_dir() / "full") / f"{question}.json"
    if not path.is_file():
        raise ClaimsError(
            f"{path} not found: run `make full` (or `dlhw run {question} "
            "--in-place`) to record the results the prose quotes."
        )
    payload = results.read_payload(path)
    values = [
        (f"{question}.{name}", number)
        for key, v in results.flatten(payload.get("metrics", {}))
        for name, number in _recorded_numbers(key, v)
    ]
    if "wall_time_s" in payload:
        values.append((f"{question}.wall_time_s", float(payload["wall_time_s"])))
    return values


def _recorded_numbers(name: str, value) -> list[tuple[str, float]]:
    """The numbers of one recorded value: itself, or each element of a (nested) list."""
    if isinstance(value, list):
        return [pair for i, v in enumerate(value) for pair in _recorded_numbers(f"{name}[{i}]", v)]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [(name, float(value))]
    return []


def output_values(notebook, name: str) -> list[tuple[str, float]]:
    """Every number a notebook printed (streams and plain-text results), with its cell."""
    values = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            text = output.get("text", "")
            data = output.get("data", {})
            text += data.get("text/plain", "") if isinstance(data, dict) else ""
            text = "".join(text) if isinstance(text, list) else text
            values += [(f"{name} cell {index} output", v) for v in _numbers(text)]
    return values


def matches(claim: Claim, value: float) -> bool:
    """Does `value`, shown as the claim is written, read as the claim?"""
    candidates = [value, -value] if claim.value >= 0 else [value]
    if claim.percent:
        candidates += [100 * c for c in candidates]
    for candidate in candidates:
        if claim.significant is not None:
            if candidate == 0 or claim.value == 0:
                if candidate == claim.value:
                    return True
                continue
            exponent = math.floor(math.log10(abs(claim.value)))
            step = 10.0 ** (exponent - claim.significant + 1)
        else:
            step = 10.0 ** (-claim.decimals)
        if abs(candidate - claim.value) <= step / 2 * (1 + 1e-9):
            return True
    return False


def check(claims: Iterable[Claim], values: list[tuple[str, float]]) -> list[Verdict]:
    """The verdict of each claim: the first value that matches it, or none."""
    verdicts = []
    for claim in claims:
        found = next(((s, v) for s, v in values if matches(claim, v)), None)
        verdicts.append(Verdict(claim, found[1] if found else None, found[0] if found else ""))
    return verdicts


def check_project() -> list[Verdict]:
    """Check every markdown cell of the project's `notebooks/Q*.ipynb` but the rendered cell 1
    (against the question's recorded metrics and the notebook's printed outputs), the README
    and `docs/*.md` (against every recorded metric). The project is `DLHW_ROOT` when set;
    results `results/full/`."""
    import nbformat

    root, results = paths.project_root(), paths.results_dir() / "full"
    notebooks = sorted((root / "notebooks").glob("Q*.ipynb"))
    if not notebooks:
        raise ClaimsError(f"no notebooks in {root / 'notebooks'}.")
    verdicts, every_recorded = [], []
    for path in notebooks:
        question = path.name.split("_")[0]
        notebook = nbformat.read(path, as_version=4)
        recorded = recorded_values(question, results)
        every_recorded += recorded
        claims = [
            claim
            for index, cell in enumerate(notebook.cells)
            if cell.cell_type == "markdown" and not _generated(cell.source)
            for claim in find_claims(cell.source, f"notebooks/{path.name} cell {index}")
        ]
        verdicts += check(claims, recorded + output_values(notebook, path.name))
    pages = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    for page in (p for p in pages if p.is_file()):
        text = _without_generated(page.read_text(encoding="utf-8"))
        verdicts += check(find_claims(text, str(page.relative_to(root))), every_recorded)
    return verdicts


def _generated(source: str) -> bool:
    """Cell 1, rendered by `dlhw brief` (checked whole by `dlhw.ledger_check`, not here:
    its margins and differences are computed from the recorded values)."""
    from dlhw.briefs import HEADING

    return source.startswith(HEADING)


def _without_generated(text: str) -> str:
    """The README without its rendered sections, the answers and the quick run's times
    (each checked whole against what renders it by `dlhw.ledger_check`)."""
    from dlhw import runfile
    from dlhw.briefs import README_END, README_START

    for start, end in ((README_START, README_END), (runfile.README_START, runfile.README_END)):
        if start in text and end in text:
            head, rest = text.split(start, 1)
            text = head + rest.split(end, 1)[1]
    return text


def report(verdicts: list[Verdict], *, verbose: bool = True) -> str:
    """One line per claim (where, quoted, recorded) and a summary line."""
    lines = []
    for verdict in verdicts:
        claim = verdict.claim
        if verdict.matched is None:
            lines.append(
                f"MISMATCH {claim.where}: {claim.text!r} traces to no recorded or "
                f"printed value ({claim.context!r})"
            )
        elif verbose:
            lines.append(
                f"ok       {claim.where}: {claim.text} = {verdict.matched:.6g} ({verdict.source})"
            )
    bad = sum(v.matched is None for v in verdicts)
    lines.append(
        f"{len(verdicts)} quoted numbers checked: {len(verdicts) - bad} traced, {bad} not traced."
    )
    return "\n".join(lines)
