"""Offer each executed chapter as an `.ipynb` download next to its `.py` source.

sphinx-book-theme's download menu lists `_sources/<page><suffix>` (here the jupytext `.py`) and,
when the page context holds ``ipynb_source``, a notebook. The theme fills ``ipynb_source`` only
for MyST-markdown notebooks and only when a launch button (Binder, Colab, ...) is configured; a
book of `.py` chapters read offline gets no `.ipynb`. This extension copies the notebook that
myst-nb executed (with its outputs, `_build/jupyter_execute/<page>.ipynb`) to
`_build/html/_sources/<page>.ipynb` and sets ``ipynb_source`` before the theme builds its menu.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

# myst-nb writes executed notebooks to <outdir>/../jupyter_execute (myst_nb.sphinx_ext).
EXECUTED_FOLDER = "jupyter_execute"


def executed_notebook(app: Sphinx, pagename: str) -> Path:
    """Where myst-nb wrote the executed notebook of `pagename`."""
    return Path(app.outdir).parent / EXECUTED_FOLDER / f"{pagename}.ipynb"


def add_ipynb_download(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """html-page-context: publish the executed notebook of a `.py` chapter for download."""
    source_suffix = context.get("page_source_suffix")
    notebook = executed_notebook(app, pagename)
    if source_suffix != ".py" or not notebook.is_file():
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(notebook, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app: Sphinx) -> dict[str, Any]:
    # Before sphinx-book-theme's add_header_buttons (priority 501) reads ipynb_source.
    app.connect("html-page-context", add_ipynb_download, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
