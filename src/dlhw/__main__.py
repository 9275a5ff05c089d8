"""`python -m dlhw ...` is the same as the `dlhw` console script."""

from dlhw.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
