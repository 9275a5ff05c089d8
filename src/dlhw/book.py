"""`dlhw book`: a static grader book of the committed, executed notebooks, readable offline.

One HTML page per notebook (nbconvert's lab template, figures embedded), named after it, plus
an `index.html` that gives, per question, the answer in brief, the ledger of the written
answer's claims ("The written answer, checked"), the recorded results and a link to the page.
nbconvert's own template fetches MathJax and require.js from a CDN; this
book uses a template without require.js (the notebooks have no widgets) and the MathJax that
the `jupyter-server-mathjax` package ships, copied next to the pages, so that the formulas
render from disk with no network.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

from dlhw import files, paths, profiles
from dlhw.errors import DlhwError

TEMPLATES = Path(__file__).parent / "templates"
MATHJAX = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"  # the config it ships


class BookError(DlhwError, RuntimeError):
    """The book cannot be built (nbconvert or the MathJax copy missing, no notebooks)."""


def _mathjax_source() -> Path:
    try:
        import jupyter_server_mathjax
    except ImportError:
        raise BookError(
            "jupyter-server-mathjax is not installed; the offline book needs its MathJax: "
            "pip install -r requirements.txt (or pip install 'dlhw[notebooks]')."
        ) from None
    source = Path(jupyter_server_mathjax.__file__).parent / "static"
    if not (source / "MathJax.js").is_file():
        raise BookError(f"no MathJax.js in {source}; reinstall jupyter-server-mathjax.")
    return source


def _exporter():
    try:
        from nbconvert import HTMLExporter
    except ImportError:
        raise BookError(
            "nbconvert is not installed: pip install -r requirements.txt "
            "(or pip install 'dlhw[notebooks]')."
        ) from None
    exporter = HTMLExporter(template_name="dlhw_book", extra_template_basedirs=[str(TEMPLATES)])
    exporter.mathjax_url = MATHJAX
    return exporter


def _title(notebook, fallback: str) -> str:
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def _brief(notebook) -> str:
    from dlhw.briefs import HEADING

    for cell in notebook.cells[:3]:
        if cell.cell_type == "markdown" and cell.source.startswith(HEADING):
            return cell.source[len(HEADING) :].strip()
    return "_No answer in brief yet: run `dlhw brief`._"


def _results_table(question: str, payloads: dict) -> str:
    from dlhw import results

    payload = payloads.get(question)
    if payload is None:
        return "<p><em>No recorded results.</em></p>"
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{html.escape(results.fmt(value))}</td></tr>"
        for name, value in results.flatten(payload["metrics"])
    )
    return (
        "<details><summary>Recorded results (<code>results/full/"
        f"{question}.json</code>)</summary><table><tr><th>metric</th><th>value</th></tr>"
        f"{rows}</table></details>"
    )


INDEX_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #222; }
section { border-top: 1px solid #ddd; padding: 0.5rem 0 1rem; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.9rem; }
td, th { border: 1px solid #ccc; padding: 0.15rem 0.5rem; text-align: left; }
code { background: #f4f4f4; padding: 0 0.2rem; }
"""


def build(output: Path | None = None, notebooks: Path | None = None) -> Path:
    """Render every `Q*.ipynb` in `notebooks` (default: the committed ones) to `output`
    (default: `build/book/`) and write its index; return the index's path."""
    import nbformat
    from nbconvert.filters import markdown2html

    from dlhw.runner import discover

    output = Path(output or paths.build_dir() / "book")
    found = discover(Path(notebooks or paths.notebooks_dir()))
    if not found:
        raise BookError(f"no question notebooks in {notebooks or paths.notebooks_dir()}.")
    exporter, source = _exporter(), _mathjax_source()
    output.mkdir(parents=True, exist_ok=True)
    if not (output / "mathjax" / "MathJax.js").is_file():
        shutil.copytree(source, output / "mathjax", dirs_exist_ok=True)
    from dlhw import results

    recorded, sections = results.load_all(profiles.DEFAULT), []
    for question, path in found.items():
        notebook = nbformat.read(path, as_version=4)
        page, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": path.stem}})
        files.atomic_write_text(output / f"{path.stem}.html", page)
        title = html.escape(_title(notebook, path.stem))
        # cell 1's links point into its own notebook: on the index, into the notebook's page
        brief = _brief(notebook).replace("](#", f"]({path.stem}.html#")
        sections.append(
            f'<section id="{question}"><h2><a href="{path.stem}.html">{title}</a></h2>'
            f"{markdown2html(brief)}{_results_table(question, recorded)}"
            f'<p><a href="{path.stem}.html">Read the notebook: {path.stem}.html</a></p></section>'
        )
    index = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>dlhw: the grader '
        f"book</title><style>{INDEX_STYLE}</style></head><body><h1>dlhw: the grader book</h1>"
        "<p>The committed notebooks, executed with the <code>full</code> profile, one page a "
        "question. Each section gives the answer in brief, the written answer's claims with "
        "the verdict the recorded numbers give, and the recorded results; the page "
        "shows every measurement behind them. Built by <code>dlhw book</code>; reads offline."
        f"</p>{''.join(sections)}</body></html>"
    )
    return files.atomic_write_text(output / "index.html", index)
