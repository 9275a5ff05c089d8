"""Every question's declaration (see `dlhw.declare`): its metrics, brief, rules and ledger.

Import-free data apart from the schema, so that the commands (briefs, claims, book) read them
without loading TensorFlow, and a notebook passes its own to `results.record`.
"""

from __future__ import annotations

from dlhw.declarations.q1 import DECLARATION as Q1
from dlhw.declarations.q2 import DECLARATION as Q2
from dlhw.declarations.q3 import DECLARATION as Q3
from dlhw.declarations.q4 import DECLARATION as Q4
from dlhw.declarations.q6 import DECLARATION as Q6
from dlhw.declarations.q7 import DECLARATION as Q7
from dlhw.declare import Declaration, DeclarationError

ALL: dict[str, Declaration] = {d.question: d for d in (Q1, Q2, Q3, Q4, Q6, Q7)}


def get(question: str) -> Declaration:
    """The declaration of `question`; a DeclarationError naming the declared ones otherwise."""
    if question not in ALL:
        raise DeclarationError(
            f"{question} has no declaration; declared: {', '.join(ALL)} (dlhw.declarations)."
        )
    return ALL[question]
