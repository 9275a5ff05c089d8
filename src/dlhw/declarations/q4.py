"""Q4: placeholder, being written."""

from dlhw.declare import Declaration

DECLARATION = Declaration(
    question="Q4", title="Q4", modules="", asks="", metrics=(), bullets=()
)
