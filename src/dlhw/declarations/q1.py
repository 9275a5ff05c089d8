"""Q1: placeholder, being written."""

from dlhw.declare import Declaration

DECLARATION = Declaration(
    question="Q1", title="Q1", modules="", asks="", metrics=(), bullets=()
)
