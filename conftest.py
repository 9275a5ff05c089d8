"""pytest configuration shared by the unit tests and nbval."""

import os

# Quiet TensorFlow's C++ start-up messages in test processes and in nbval's kernels.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def pytest_collectstart(collector):
    """Never compare stderr in nbval: TensorFlow writes warnings there that vary by machine."""
    if getattr(collector, "skip_compare", None) is not None:
        collector.skip_compare = (*collector.skip_compare, "stderr")
