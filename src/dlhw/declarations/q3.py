"""Q3: placeholder, being written."""

from dlhw.declare import Declaration

DECLARATION = Declaration(
    question="Q3", title="Q3", modules="", asks="", metrics=(), bullets=()
)
