"""Q7: placeholder, being written."""

from dlhw.declare import Declaration

DECLARATION = Declaration(
    question="Q7", title="Q7", modules="", asks="", metrics=(), bullets=()
)
