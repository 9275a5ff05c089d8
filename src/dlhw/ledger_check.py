"""`dlhw claims`, the words: stored verdicts against the recorded numbers, and no history.

`dlhw.claims` traces every quoted number; this module checks what the numbers are said to
mean. Three checks over the committed project (`DLHW_ROOT`, results `results/full/`):

- **Generated text is current.** Cell 1 of each notebook and the README's answers are
  re-rendered from the recorded results (`dlhw.briefs`); a stored text that differs, and so any
  stored verdict whose numbers now give another, is reported with the ledger ids that changed.
- **Verdicts quoted in prose.** A sentence that states a ledger verdict links to its entry as
  `[Q6.3: partly right](#Q6.3)`; the word must be the verdict the recorded numbers give.
- **No narration of earlier runs or of the project's process** (`HISTORY`, a short list of
  phrases) in markdown cells, code comments, the README or `docs/*.md`: the text speaks only
  of the run it shows.
"""

from __future__ import annotations

import re
from pathlib import Path

from dlhw import briefs, declarations, paths, results, runfile

# Phrases that narrate earlier runs or the project's process (matched case-insensitively).
HISTORY = (
    "previous stored run",
    "previous run",
    "earlier run",
    "earlier stored",
    "stored before",
    "run stored before",
    "before this one",
    "claimed before",
    "earlier version",
    "previous version",
    "version of this notebook",
    "project's issue",
    "project's q",
    "this round",
    "used to claim",
    "used to say",
    "the notebook said before",
)
_HISTORY = re.compile("|".join(re.escape(p) for p in HISTORY), re.IGNORECASE)
QUOTED_VERDICT = re.compile(r"\[(?P<id>Q\d+\.\d+): (?P<verdict>[^\]]+)\]\(#(?P<target>[^)]+)\)")
_ROW = re.compile(r'<a id="(?P<id>Q\d+\.\d+)"></a>.*?\| \*\*(?P<verdict>[^*]+)\*\* \|')


def _ids(text: str) -> dict[str, str]:
    """Ledger id -> verdict, read from a rendered ledger table."""
    return {m["id"]: m["verdict"] for m in _ROW.finditer(text)}


def stale_cells(root: Path | None = None) -> list[str]:
    """Notebooks whose cell 1 is not what `dlhw brief` renders from `results/full/`."""
    import nbformat

    root = root or paths.project_root()
    folder = paths.results_dir() / "full"
    problems = []
    for path in sorted((root / "notebooks").glob("Q*.ipynb")):
        question = path.name.split("_")[0]
        recorded = folder / f"{question}.json"
        if question not in declarations.ALL or not recorded.is_file():
            continue
        cells = nbformat.read(path, as_version=4).cells
        stored = cells[1].source if len(cells) > 1 else ""
        payload = briefs.load_payload(recorded)
        fresh = briefs.render_brief(question, payload, f"results/full/{question}.json")
        if stored == fresh:
            continue
        old, new = _ids(stored), _ids(fresh)
        changed = [
            f"{i}: stored {old.get(i, 'absent')!r}, numbers give {v!r}"
            for i, v in new.items()
            if old.get(i) != v
        ]
        detail = "; ".join(changed) if changed else "its text differs"
        problems.append(
            f"STALE notebooks/{path.name} cell 1 is not what results/full/{question}.json "
            f"gives ({detail}): run `dlhw brief`."
        )
    return problems


def stale_readme(root: Path | None = None) -> list[str]:
    """The README's answers, when they differ from what `results/full/` renders."""
    root = root or paths.project_root()
    readme = root / "README.md"
    if not readme.is_file():
        return []
    text = readme.read_text(encoding="utf-8")
    if briefs.README_START not in text or briefs.README_END not in text:
        return [f"README.md has no {briefs.README_START} ... {briefs.README_END} section."]
    stored = text.split(briefs.README_START, 1)[1].split(briefs.README_END, 1)[0].strip()
    from dlhw.runner import discover

    names = {q: p.name for q, p in discover(root / "notebooks").items()}
    fresh = briefs.render_readme(results.load_all("full"), names).strip()
    problems = []
    if stored != fresh:
        problems.append(
            "STALE README.md answers differ from what results/full/ gives: run "
            "`dlhw results --update-readme`."
        )
    start, end = runfile.README_START, runfile.README_END
    line = text.split(start, 1)[1].split(end, 1)[0] if start in text and end in text else None
    if line is None or line.strip() != runfile.render_readme_line(runfile.committed()).strip():
        problems.append(
            f"STALE README.md's quick-run line ({start} ... {end}) is not what "
            f"results/{runfile.COMMITTED} gives: run `dlhw results --update-readme`."
        )
    return problems


_CODE = re.compile(r"`[^`\n]*`")


def _prose(text: str) -> str:
    """`text` with its code spans blanked (an example in backticks is not a statement)."""
    return _CODE.sub(lambda m: " " * len(m.group()), text)


def quoted_verdicts(text: str, where: str, computed: dict[str, str]) -> list[str]:
    """Every `[Qn.k: verdict](#Qn.k)` in `text` whose word is not the computed verdict."""
    problems = []
    for match in QUOTED_VERDICT.finditer(_prose(text)):
        claim, said = match["id"], match["verdict"].strip()
        if claim not in computed:
            problems.append(f"VERDICT {where}: {claim} is not a ledger entry.")
        elif said != computed[claim]:
            problems.append(
                f"VERDICT {where}: says {claim} is {said!r}; its numbers give {computed[claim]!r}."
            )
        elif match["target"] != claim:
            problems.append(f"VERDICT {where}: {claim}'s link points to #{match['target']}.")
    return problems


def narration(text: str, where: str) -> list[str]:
    """Every phrase of `HISTORY` in `text`, with its line."""
    return [
        f"HISTORY {where}:{text.count(chr(10), 0, m.start()) + 1}: {m.group()!r} narrates an "
        "earlier run or the project's process; say what this run shows."
        for m in _HISTORY.finditer(_prose(text))
    ]


def computed_verdicts() -> dict[str, str]:
    """Ledger id -> the verdict the committed results give, over every question."""
    found = {}
    for question, payload in results.load_all("full").items():
        if question in declarations.ALL:
            ctx = briefs.context(payload)
            found.update({e.claim.id: e.verdict for e in briefs.ledger(question, ctx)})
    return found


def _comments(source: str) -> str:
    return "\n".join(line.split("#", 1)[1] for line in source.splitlines() if "#" in line)


def check_words(root: Path | None = None) -> list[str]:
    """Every problem of the three checks over the project, one line each."""
    import nbformat

    root = root or paths.project_root()
    computed = computed_verdicts()
    problems = stale_cells(root) + stale_readme(root)
    for path in sorted((root / "notebooks").glob("Q*.ipynb")):
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            where = f"notebooks/{path.name} cell {index}"
            if cell.cell_type == "markdown":
                problems += quoted_verdicts(cell.source, where, computed)
                problems += narration(cell.source, where)
            elif cell.cell_type == "code":
                problems += narration(_comments(cell.source), f"{where} (comments)")
    pages = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    for page in (p for p in pages if p.is_file()):
        text = page.read_text(encoding="utf-8")
        where = str(page.relative_to(root))
        problems += quoted_verdicts(text, where, computed) + narration(text, where)
    return problems
