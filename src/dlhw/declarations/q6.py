"""Q6: placeholder, being written."""

from dlhw.declare import Declaration

DECLARATION = Declaration(
    question="Q6", title="Q6", modules="", asks="", metrics=(), bullets=()
)
