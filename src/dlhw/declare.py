"""The schema of a question's declaration: what it records, its brief, its verdicts, its ledger.

Each question declares its facts once, as data (`dlhw.declarations.q7` and so on): the metrics
its notebook records (name, label, unit), the brief's template, the rules that choose the
wording of every comparison from the recorded numbers, and the ledger of the written answer's
claims. Everything else is derived: `results.record` checks a notebook's metrics against the
declaration it is given, `dlhw.briefs` renders the brief and the ledger table, `dlhw claims`
re-renders both and fails when a stored verdict differs from what its numbers give.

A comparison is never typed: a `Compare` rule picks "above", "below" or "indistinguishable"
from two recorded values and a margin (the test set's standard error, a spread over seeds or
folds, or none: then the wording says "one run, no margin").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dlhw.errors import DlhwError

VERDICTS = ("confirmed", "partly right", "wrong", "not checkable here", "not checked yet")
KINDS = ("theory", "measurement", "code", "choice")
NOT_YET = "not checked yet"
NO_MARGIN = "one run, no margin"


class DeclarationError(DlhwError, ValueError):
    """A declaration that breaks the schema (unknown verdict or kind, a duplicate id)."""


@dataclass(frozen=True)
class Metric:
    """One recorded metric: its key in the results file, a one-line label and its unit."""

    name: str
    label: str
    unit: str = ""


def lookup(metrics: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted `path` of nested metrics (`tuners.random.best_val_accuracy`);
    KeyError when any part is missing."""
    value: Any = metrics
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise KeyError(path)
        value = value[part]
    return value


@dataclass(frozen=True)
class Context:
    """What a rule reads: the recorded metrics and the profile's sizes (test-set sizes)."""

    metrics: Mapping[str, Any]
    sizes: Mapping[str, Any] = field(default_factory=dict)

    def value(self, ref: str | float) -> float:
        if isinstance(ref, (int, float)):
            return float(ref)
        return float(lookup(self.metrics, ref))

    def has(self, ref: str | float) -> bool:
        if isinstance(ref, (int, float)):
            return True
        try:
            value = lookup(self.metrics, ref)
        except KeyError:
            return False
        return isinstance(value, (int, float)) and not isinstance(value, bool)


# ---------------------------------------------------------------------------------- margins
@dataclass(frozen=True)
class TestSE:
    """Two accuracies (or one against a constant) on the same `n` images: a difference within
    2·√(SE₁² + SE₂²), SE = √(p(1−p)/n), is indistinguishable. `n` is an int, a metric name, or
    a profile size (`sizes[...]`: `mnist_test`, `mnist_val`); `what` names the images."""

    n: int | str
    what: str = "test images"
    __test__ = False  # not a pytest test class, whatever its name

    def count(self, ctx: Context) -> int:
        if isinstance(self.n, int):
            return self.n
        if ctx.has(self.n):
            return int(ctx.value(self.n))
        return int(ctx.sizes[self.n])

    def width(self, a: float, b: float, ctx: Context, b_is_constant: bool) -> float:
        n = self.count(ctx)
        var = a * (1 - a) / n + (0.0 if b_is_constant else b * (1 - b) / n)
        return 2 * math.sqrt(max(var, 0.0))

    def describe(self, ctx: Context) -> str:
        return f"2·SE, n = {self.count(ctx):,} {self.what}"

    def needs(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True)
class Spread:
    """A difference within `k` times a recorded standard deviation (over seeds or folds) is
    indistinguishable; `over` says what the spread is over."""

    std: str
    over: str = "seeds"
    k: float = 2.0
    name: str = "s.d."  # or "SE", for a recorded standard error

    def width(self, a: float, b: float, ctx: Context, b_is_constant: bool) -> float:
        return self.k * ctx.value(self.std)

    def describe(self, ctx: Context) -> str:
        return f"{self.k:g}·{self.name} over {self.over}"

    def needs(self) -> tuple[str, ...]:
        return (self.std,)


@dataclass(frozen=True)
class Tolerance:
    """A fixed tolerance with its reason (for example float32 round-off)."""

    value: float
    reason: str

    def width(self, a: float, b: float, ctx: Context, b_is_constant: bool) -> float:
        return self.value

    def describe(self, ctx: Context) -> str:
        return f"tolerance {self.value:g}, {self.reason}"

    def needs(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True)
class NoMargin:
    """One run and no spread: the difference's sign is reported, flagged as one run."""

    def width(self, a: float, b: float, ctx: Context, b_is_constant: bool) -> None:
        return None

    def describe(self, ctx: Context) -> str:
        return NO_MARGIN

    def needs(self) -> tuple[str, ...]:
        return ()


Margin = TestSE | Spread | Tolerance | NoMargin


# ------------------------------------------------------------------------------------ rules
@dataclass(frozen=True)
class Outcome:
    """What a rule says in one case: a ledger verdict (one of VERDICTS, or "" for a brief's
    sentence) and a sentence, a format template over the metrics."""

    verdict: str
    text: str


@dataclass(frozen=True)
class Judgement:
    """A rule applied: the case it chose, the outcome, and how the numbers decided it."""

    case: str
    outcome: Outcome
    detail: str


@dataclass(frozen=True)
class Compare:
    """`a` against `b` (metric paths or a constant) with a margin: "above" when a − b exceeds
    the margin, "below" when it is under −margin, "tie" (indistinguishable) within it. Without
    a margin the sign decides, and the detail says "one run, no margin"."""

    a: str | float
    b: str | float
    margin: Margin
    above: Outcome
    below: Outcome
    tie: Outcome | None = None

    def needs(self) -> tuple[str, ...]:
        refs = [r for r in (self.a, self.b) if isinstance(r, str)]
        return (*refs, *self.margin.needs())

    def judge(self, ctx: Context) -> Judgement:
        a, b = ctx.value(self.a), ctx.value(self.b)
        width = self.margin.width(a, b, ctx, not isinstance(self.b, str))
        diff = a - b
        if width is not None and abs(diff) <= width:
            if self.tie is None:
                raise DeclarationError(f"a rule comparing {self.a} with {self.b} has no tie case.")
            case, outcome = "tie", self.tie
        else:
            case, outcome = ("above", self.above) if diff > 0 else ("below", self.below)
        if width is None:
            detail = f"Δ = {diff:+.3g}, {NO_MARGIN}"
        else:
            detail = f"Δ = {diff:+.3g}, margin {width:.3g} ({self.margin.describe(ctx)})"
        return Judgement(case, outcome, detail)


@dataclass(frozen=True)
class Check:
    """A yes/no test over the metrics (an exact check, a count above zero), with its two
    outcomes; `needs` names the metrics it reads and `describe` says what it tests. A test
    that returns None means the run cannot decide (say, neither model reached its target):
    the `undecided` outcome, which such a check must then have."""

    needs_: tuple[str, ...]
    test: Callable[[Mapping[str, Any]], bool | None]
    yes: Outcome
    no: Outcome
    describe: str = ""
    undecided: Outcome | None = None

    def needs(self) -> tuple[str, ...]:
        return self.needs_

    def judge(self, ctx: Context) -> Judgement:
        passed = self.test(ctx.metrics)
        if passed is None:
            if self.undecided is None:
                raise DeclarationError(f"a check on {self.needs_} has no undecided outcome.")
            return Judgement("undecided", self.undecided, self.describe)
        passed = bool(passed)
        return Judgement("yes" if passed else "no", self.yes if passed else self.no, self.describe)


@dataclass(frozen=True)
class AllOf:
    """Several rules that must all give their first case for `yes`; otherwise `no` (the
    failing rule's detail is shown). For claims that rest on two comparisons at once."""

    rules: tuple[Compare | Check, ...]
    want: tuple[str, ...]
    yes: Outcome
    no: Outcome

    def needs(self) -> tuple[str, ...]:
        return tuple(n for r in self.rules for n in r.needs())

    def judge(self, ctx: Context) -> Judgement:
        details = []
        for rule, want in zip(self.rules, self.want, strict=True):
            j = rule.judge(ctx)
            details.append(j.detail)
            if j.case != want:
                return Judgement("no", self.no, "; ".join(details))
        return Judgement("yes", self.yes, "; ".join(details))


Rule = Compare | Check | AllOf


def missing(rule: Rule, ctx: Context) -> list[str]:
    """The metrics a rule needs that the results do not hold (then it is not checked yet)."""
    return [n for n in rule.needs() if not ctx.has(n) and not _is_bool(ctx, n)]


def _is_bool(ctx: Context, name: str) -> bool:
    try:
        return isinstance(lookup(ctx.metrics, name), bool)
    except KeyError:
        return False


# ----------------------------------------------------------------------------------- ledger
@dataclass(frozen=True)
class Claim:
    """One claim of the written answer: `id` (`Q3.4`), the seed lines (`L195`), the claim in
    faithful English, its kind (theory, measurement, code, choice), its verdict (a fixed word
    from VERDICTS, or a rule over the recorded metrics), the evidence (a format template over
    the metrics: a reason with a reference, or the numbers) and the notebook section (its
    heading's text) that shows it. `needs`: metrics the verdict needs that a future run will
    record; while they are absent the verdict reads "not checked yet"."""

    id: str
    lines: str
    claim: str
    kind: str
    verdict: str | Rule
    evidence: str
    section: str = ""
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Declaration:
    """Everything a question declares once: its metrics, its brief (the question, the bullets
    as format templates over the metrics, with `{verdicts[name]}` for a rule's sentence), the
    rules behind the brief's comparisons, and the ledger of the written answer's claims."""

    question: str
    title: str
    modules: str
    asks: str
    metrics: tuple[Metric, ...]
    bullets: tuple[str, ...]
    rules: Mapping[str, Rule] = field(default_factory=dict)
    claims: tuple[Claim, ...] = ()

    def __post_init__(self) -> None:
        names = [m.name for m in self.metrics]
        if len(set(names)) != len(names):
            raise DeclarationError(f"{self.question} declares a metric twice.")
        ids = [c.id for c in self.claims]
        if len(set(ids)) != len(ids):
            raise DeclarationError(f"{self.question}'s ledger repeats a claim id.")
        for claim in self.claims:
            if not claim.id.startswith(f"{self.question}."):
                raise DeclarationError(f"{claim.id} is not an id of {self.question}.")
            if claim.kind not in KINDS:
                raise DeclarationError(f"{claim.id}: kind {claim.kind!r} not one of {KINDS}.")
            for outcome in _outcomes(claim.verdict):
                if outcome not in VERDICTS:
                    raise DeclarationError(
                        f"{claim.id}: verdict {outcome!r} not one of {VERDICTS}."
                    )

    @property
    def metric_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.metrics)

    def check_metrics(self, metrics: Mapping[str, Any]) -> None:
        """Raise DeclarationError naming every declared metric missing and every undeclared one."""
        lacking = [n for n in self.metric_names if n not in metrics]
        extra = [n for n in metrics if n not in self.metric_names]
        problems = []
        if lacking:
            problems.append(f"lack the declared metrics {lacking}")
        if extra:
            problems.append(
                f"hold metrics {extra} that {self.question}'s declaration does not list "
                "(declare them in dlhw.declarations, with a label)"
            )
        if problems:
            raise DeclarationError(f"{self.question}: the metrics " + " and ".join(problems) + ".")


def _outcomes(verdict: str | Rule) -> list[str]:
    if isinstance(verdict, str):
        return [verdict]
    if isinstance(verdict, Compare):
        cases = [verdict.above, verdict.below] + ([verdict.tie] if verdict.tie else [])
    else:
        cases = [verdict.yes, verdict.no] + (
            [verdict.undecided] if getattr(verdict, "undecided", None) else []
        )
    return [c.verdict for c in cases]
