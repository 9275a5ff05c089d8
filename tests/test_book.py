"""The grader book and JupyterLab, tested in a real browser (Debian's headless Chromium).

The book is built from the committed notebooks into a temporary folder and opened from disk:
every page loads without a console error and without a single network request, every link of
the index resolves, each page shows its figures, and the formulas of Q4 and Q6 are rendered
by MathJax. A second test starts JupyterLab as `make lab` does and opens Q7 in it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from browser import Browser, find_chromium

from dlhw import book, paths
from dlhw.runner import discover

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
MATH_PAGES = ("Q4_cnn_vs_rnn", "Q6_batchnorm")


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = find_chromium()
    if binary is None:
        pytest.fail(
            "the browser tests need Chromium and none was found: install Debian's chromium "
            "(`apt-get install chromium`; `.ci/run` does it) or put chromium on PATH."
        )
    return binary


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return book.build(tmp_path_factory.mktemp("book")).parent


def test_the_book_reads_offline_with_figures_and_formulas(built, chromium):
    pages = sorted(built.glob("Q*.html"))
    notebooks = discover(paths.notebooks_dir()).values()
    assert [p.stem for p in pages] == sorted(p.stem for p in notebooks)
    with Browser(chromium) as browser:
        browser.goto((built / "index.html").as_uri())
        # links only: the ledger's entry anchors (`<a id>`) have no href
        links = browser.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.href)")
        assert browser.evaluate("document.querySelectorAll('section').length") == len(pages)
        assert browser.evaluate("document.body.innerText.includes('The question.')")
        ledgers = "document.body.innerText.split('The written answer, checked').length - 1"
        assert browser.evaluate(ledgers) == len(pages)
        assert not browser.errors(), browser.errors()
        assert all(url.startswith("file://") for url in browser.requests()), browser.requests()
        shot = browser.screenshot(paths.build_dir() / "book_index.png")
        assert shot.stat().st_size > 10_000
        for link in links:  # a ledger's section links land on the notebook's page
            target = link[len("file://") :].split("#")[0]
            assert link.startswith("file://") and Path(target).is_file(), link
        for page in pages:
            browser.goto(page.as_uri())
            if page.stem in MATH_PAGES:
                browser.wait_for("document.querySelectorAll('.MathJax_CHTML, .MathJax').length > 0")
                left = browser.evaluate("document.querySelectorAll('.MathJax_Preview').length")
                assert browser.evaluate("!document.body.innerText.includes('\\\\frac')"), page
                assert left >= 0
            images = browser.evaluate(
                "[...document.querySelectorAll('img')].filter(i => i.naturalWidth > 0).length"
            )
            assert images > 0, f"{page.name} shows no figure"
            offline = [
                u for u in browser.requests() if not u.startswith(("file:", "data:", "about:"))
            ]
            assert not offline, f"{page.name} requested {offline}"
            assert not browser.errors(), f"{page.name}: {browser.errors()}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_make_lab_opens_q7_in_jupyterlab(chromium, tmp_path):
    port, token = _free_port(), "dlhw-test-token"
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "DLHW_PROFILE": "smoke",
    }
    extra = (
        f"--no-browser --ServerApp.port={port} --IdentityProvider.token={token} "
        "--ServerApp.port_retries=0"
    )
    lab = subprocess.Popen(
        ["make", "-s", "lab", f"LAB_EXTRA={extra}"],  # the students' command, with a token
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as r:
                    assert json.loads(r.read())["started"]
                    break
            except OSError:
                assert lab.poll() is None, lab.stderr.read()
                assert time.monotonic() < deadline, "JupyterLab did not start in 90 s"
                time.sleep(0.5)
        with Browser(chromium, timeout=60) as browser:
            browser.goto(f"{base}/lab/tree/Q7_grad_cam.ipynb?token={token}", timeout=60)
            browser.wait_for("document.querySelectorAll('.jp-Notebook .jp-Cell').length > 10", 90)
            tabs = browser.evaluate(
                "[...document.querySelectorAll('.lm-TabBar-tabLabel')].map(e => e.textContent)"
            )
            assert "Q7_grad_cam.ipynb" in tabs, tabs
            assert browser.evaluate("document.body.innerText.includes('Answer in brief')")
    finally:
        try:
            request = urllib.request.Request(f"{base}/api/shutdown?token={token}", method="POST")
            urllib.request.urlopen(request, timeout=10).close()
        except OSError:
            pass
        try:
            lab.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)
            lab.wait()
    assert lab.returncode is not None
