"""Cell 1 of every notebook ("Answer in brief" and "The written answer, checked") and the
README's answers, rendered from recorded results and the questions' declarations, never typed.

A question's declaration (`dlhw.declarations`) holds the question in a sentence, three to six
bullets whose numbers are format fields over the recorded metrics, the rules that word every
comparison (`{verdicts[name]}`), and the ledger of the written answer's claims, each verdict
fixed (theory, code) or computed by a rule from the numbers with its margin. `dlhw run`
renders a notebook's cell 1 from the results that run just recorded; `dlhw brief` re-renders
the committed notebooks from `results/full/`; `dlhw results --update-readme` renders the
README's answers. `dlhw claims` re-renders all of them and fails where the stored text, and so
a stored verdict, differs from what the recorded numbers give.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlhw import declarations
from dlhw.declare import (
    NO_MARGIN,
    NOT_YET,
    VERDICTS,
    Claim,
    Context,
    NoMargin,
    Rule,
    lookup,
    missing,
)
from dlhw.errors import DlhwError

HEADING = "## Answer in brief"
LEDGER_HEADING = "### The written answer, checked"
MNIST_TRAIN_IMAGES, MNIST_TEST_IMAGES = 60_000, 10_000
README_START = "<!-- questions:start -->"
README_END = "<!-- questions:end -->"


class BriefError(DlhwError, ValueError):
    """A template names a metric the results do not hold, or a notebook has no title cell."""


class _NotReached:
    """A metric recorded as null (a target not reached): rendered as words, whatever the format."""

    def __format__(self, spec: str) -> str:
        return "not reached"


def _fill(template: str, question: str, metrics: dict[str, Any]) -> str:
    values = {k: _NotReached() if v is None else v for k, v in metrics.items()}
    try:
        return template.format(**values)
    except (KeyError, IndexError) as exc:
        raise BriefError(
            f"{question}'s brief needs the metric {exc}, which its results do not hold; "
            "re-run the notebook so that it records it."
        ) from None


def _sizes(profile: str | None) -> dict[str, int]:
    """The MNIST test and validation sizes a margin may need, from the results' profile."""
    from dlhw import profiles

    active = profiles.get(profile or profiles.DEFAULT)
    train = active.subset(MNIST_TRAIN_IMAGES, "mnist_train")
    return {
        "mnist_test": active.subset(MNIST_TEST_IMAGES, "mnist_test"),
        "mnist_val": max(1, round(train * active.val_fraction)),  # as `data.mnist_splits`
    }


def context(payload: dict[str, Any]) -> Context:
    """The metrics of a results payload and the sizes of its profile, for the rules."""
    return Context(payload["metrics"], _sizes(payload.get("profile")))


def _sentence(question: str, rule: Rule, ctx: Context) -> tuple[str, str]:
    """(verdict, sentence) of a rule; "not checked yet" when a metric it needs is absent."""
    lacking = missing(rule, ctx)
    if lacking:
        null = [n for n in lacking if _recorded_as_null(ctx, n)]
        absent = [n for n in lacking if n not in null]
        parts = ([f"does not record {', '.join(absent)}"] if absent else []) + (
            [f"records no value for {', '.join(null)} (nothing to measure at this size)"]
            if null
            else []
        )
        return NOT_YET, f"Not checked yet: this run {' and '.join(parts)}."
    judgement = rule.judge(ctx)
    text = _fill(judgement.outcome.text, question, ctx.metrics)
    if isinstance(getattr(rule, "margin", None), NoMargin) and NO_MARGIN not in text:
        text = f"{text.rstrip('.')} ({NO_MARGIN})."
    return judgement.outcome.verdict, text


def _recorded_as_null(ctx: Context, name: str) -> bool:
    try:
        return lookup(ctx.metrics, name) is None
    except KeyError:
        return False


def rule_sentence(question: str, name: str, metrics: dict[str, Any], profile: str) -> str:
    """The sentence the rule `name` of `question` gives for `metrics` (those it reads suffice),
    so that a notebook prints the verdict its own numbers choose where it measures them."""
    rule = declarations.get(question).rules[name]
    return _sentence(question, rule, Context(metrics, _sizes(profile)))[1]


def verdicts(question: str, ctx: Context) -> dict[str, str]:
    """The brief's rule sentences of `question`, by rule name."""
    declared = declarations.get(question)
    return {name: _sentence(question, rule, ctx)[1] for name, rule in declared.rules.items()}


@dataclass(frozen=True)
class Entry:
    """A ledger claim judged on one run: its verdict and its evidence, rendered."""

    claim: Claim
    verdict: str
    evidence: str


def ledger(question: str, ctx: Context) -> list[Entry]:
    """Every claim of `question`'s ledger with its verdict computed from the run."""
    entries = []
    for claim in declarations.get(question).claims:
        lacking = [n for n in claim.needs if not ctx.has(n)]
        if lacking:
            entries.append(
                Entry(
                    claim, NOT_YET, f"Needs {', '.join(lacking)}, which this run does not record."
                )
            )
            continue
        if isinstance(claim.verdict, str):
            entries.append(
                Entry(claim, claim.verdict, _fill(claim.evidence, question, ctx.metrics))
            )
            continue
        verdict, sentence = _sentence(question, claim.verdict, ctx)
        if verdict == NOT_YET:
            entries.append(Entry(claim, verdict, sentence))
            continue
        detail = claim.verdict.judge(ctx).detail
        extra = _fill(claim.evidence, question, ctx.metrics) if claim.evidence else ""
        evidence = " ".join(t for t in (sentence, extra) if t)
        entries.append(Entry(claim, verdict, f"{evidence} ({detail})" if detail else evidence))
    return entries


def against_reference(question: str, payload: dict, reference: dict) -> list[tuple[str, ...]]:
    """For each ledger claim whose verdict a rule computes: (id, this run's verdict, the
    reference run's verdict, status), status "same", "indistinguishable at this size" (this
    run's numbers fall within the margin while the reference's do not) or "differs"."""
    ctx, ref = context(payload), context(reference)
    mine = {e.claim.id: e.verdict for e in ledger(question, ctx)}
    theirs = {e.claim.id: e.verdict for e in ledger(question, ref)}
    rows = []
    for claim in declarations.get(question).claims:
        if isinstance(claim.verdict, str):
            continue
        a, b = mine[claim.id], theirs[claim.id]
        if a == b:
            status = "same"
        elif (
            a != NOT_YET
            and not missing(claim.verdict, ctx)
            and (claim.verdict.judge(ctx).case == "tie")
        ):
            status = "indistinguishable at this size"
        else:
            status = "differs"
        rows.append((claim.id, a, b, status))
    return rows


def counts(entries: list[Entry]) -> str:
    """ "14 claims: 6 confirmed, 2 partly right, ..." (verdicts in their fixed order)."""
    found = [(v, sum(e.verdict == v for e in entries)) for v in VERDICTS]
    parts = ", ".join(f"{n} {v}" for v, n in found if n)
    noun = "claim" if len(entries) == 1 else "claims"
    return f"{len(entries)} {noun}: {parts}" if entries else "no claims declared"


def anchor(heading: str) -> str:
    """The in-page anchor Jupyter and nbconvert give a markdown heading."""
    return "#" + heading.strip().lstrip("#").strip().replace(" ", "-")


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def ledger_table(question: str, ctx: Context) -> str:
    """The "written answer, checked" markdown table of `question`."""
    entries = ledger(question, ctx)
    rows = ["| Claim of the written answer | Verdict | Evidence |", "|---|---|---|"]
    for e in entries:
        c = e.claim
        where = f" [{c.section}]({anchor(c.section)})" if c.section else ""
        rows.append(
            f'| <a id="{c.id}"></a>**{c.id}** ({c.lines}, {c.kind}) {_cell(c.claim)} '
            f"| **{e.verdict}** | {_cell(e.evidence)}{where} |"
        )
    return (
        f"{LEDGER_HEADING}\n\n{counts(entries)}. Each verdict that compares measurements is "
        "computed from the recorded numbers with its margin; the seed lines are those of the "
        "written answer.\n\n" + "\n".join(rows)
    )


def render_brief(question: str, payload: dict[str, Any], source: str) -> str:
    """The generated cell 1 of `question`'s notebook from a results payload: the "Answer in
    brief" and, below it, "The written answer, checked"."""
    declared = declarations.get(question)
    ctx = context(payload)
    values = {**ctx.metrics, "verdicts": verdicts(question, ctx)}
    bullets = "\n".join(f"- {_fill(b, question, values)}" for b in declared.bullets)
    profile = payload.get("profile", "full")
    return (
        f"{HEADING}\n\n*Rendered by `dlhw brief` from `{source}` (the {profile} profile); the "
        f"sections below measure each point.*\n\n**The question.** {declared.asks}\n\n"
        f"{bullets}\n\n{ledger_table(question, ctx)}"
    )


def render_readme(payloads: dict[str, dict[str, Any]], notebooks: dict[str, str]) -> str:
    """The README's "Questions" list from the recorded payloads (question -> results JSON):
    per question its brief and its ledger's counts, linked to the notebook's table."""
    lines = []
    for question, declared in declarations.ALL.items():
        if question not in payloads:
            continue
        ctx = context(payloads[question])
        values = {**ctx.metrics, "verdicts": verdicts(question, ctx)}
        text = " ".join(_fill(b, question, values) for b in declared.bullets)
        page = f"notebooks/{notebooks[question]}"
        book = f"build/book/{Path(notebooks[question]).stem}.html"  # after `make book`
        link = f"([notebook]({page}), [book page]({book}), {declared.modules})"
        ledger_line = (
            f"[The written answer, checked]({page}{anchor(LEDGER_HEADING)}): "
            f"{counts(ledger(question, ctx))}."
        )
        lines.append(f"- **{declared.title}** {link}: {text}\n  {ledger_line}")
    return "\n".join(lines) + "\n"


class PagesError(BriefError):
    """A page that `dlhw results --update-readme` rewrites lacks its markers."""


METRICS_PAGE = "docs/metrics.md"  # the raw metrics table; the README carries the answers
TABLE_START, TABLE_END = "<!-- results:start -->", "<!-- results:end -->"


def _between(text: str, start: str, end: str, body: str, where: str) -> str:
    """`text` with what lies between the markers replaced by `body`."""
    if start not in text or end not in text:
        raise PagesError(f"{where} has no {start} ... {end} section.")
    head, rest = text.split(start, 1)
    return f"{head}{start}\n{body}{end}{rest.split(end, 1)[1]}"


def update_pages(
    root: Path, table: str, payloads: dict[str, dict[str, Any]], notebooks: dict[str, str]
) -> list[Path]:
    """Write the README's answers (`render_readme`) and its quick-run line (from the
    committed run file, `dlhw.runfile`), and the metrics `table` into `docs/metrics.md`,
    between their markers; all are checked before anything is written."""
    from dlhw import files, runfile

    readme, page = root / "README.md", root / METRICS_PAGE
    if not page.is_file():
        raise PagesError(f"{page} not found: it holds the metrics table.")
    answers = _between(
        readme.read_text(encoding="utf-8"),
        README_START,
        README_END,
        render_readme(payloads, notebooks),
        "README.md",
    )
    answers = _between(
        answers,
        runfile.README_START,
        runfile.README_END,
        runfile.render_readme_line(runfile.committed()),
        "README.md",
    )
    metrics = _between(page.read_text(encoding="utf-8"), TABLE_START, TABLE_END, table, str(page))
    files.atomic_write_text(page, metrics)
    files.atomic_write_text(readme, answers)
    return [readme, page]


def set_brief(notebook, text: str) -> bool:
    """Put `text` in the notebook's brief cell (cell 1, inserted after the title when absent).
    Returns whether the notebook changed."""
    import nbformat

    cells = notebook.cells
    if not cells or cells[0].cell_type != "markdown":
        raise BriefError("a question notebook starts with its title cell (markdown).")
    if len(cells) > 1 and cells[1].cell_type == "markdown" and cells[1].source.startswith(HEADING):
        if cells[1].source == text:
            return False
        cells[1].source = text
        return True
    cells.insert(1, nbformat.v4.new_markdown_cell(text))
    return True


def load_payload(path: Path) -> dict[str, Any]:
    """A results file as `results.record` wrote it (a one-line error if it is damaged)."""
    from dlhw import results

    return results.read_payload(path)
