"""Students re-run cells out of order and twice: every code cell of every notebook, run a
second time in place after a full top-to-bottom run (smoke profile), completes."""

from __future__ import annotations

import os

import nbformat
import pytest

from dlhw import paths
from dlhw.runner import discover

pytestmark = pytest.mark.slow
NOTEBOOKS = list(discover(paths.notebooks_dir()).values())  # the committed ones, Q1 first


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_cell_runs_again_after_a_full_run(path, tmp_path):
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    env = {
        **os.environ,
        "DLHW_PROFILE": "smoke",
        "DLHW_RECORD_DIR": str(tmp_path / "results"),  # never the committed results
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )
    code = [(i, c) for i, c in enumerate(notebook.cells) if c.cell_type == "code"]
    with client.setup_kernel(env=env):
        for index, cell in code:  # top to bottom, as "Run All"
            client.execute_cell(cell, index)
        for index, cell in code:  # then each cell once more, in place
            client.execute_cell(cell, index)
    assert all(out.get("output_type") != "error" for _, c in code for out in c.outputs)
