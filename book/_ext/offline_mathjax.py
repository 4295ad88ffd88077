"""Serve MathJax from the book's own `_static/` instead of a CDN, so math renders offline.

Jupyter Book 1 (through `sphinx.ext.mathjax`) loads MathJax 3 from a CDN by default: a reader
without a network sees raw ``\\(x\\)``. The PyPI package ``sphinx-mathjax-offline`` ships the
MathJax 3.2.2 ES5 build (components, fonts, TeX extensions); this extension copies that folder into
the HTML build as ``_static/mathjax/`` and points ``mathjax_path`` at it. Only the files are used:
the package's own Sphinx hook copies them after a *successful* build only, and sets
``mathjax_path`` at a moment where Jupyter Book may still override it.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ExtensionError

MATHJAX_DISTRIBUTION = "sphinx-mathjax-offline"
# The same combined component as Sphinx's default CDN URL (TeX and MathML input, CHTML output).
MATHJAX_ENTRY = "tex-mml-chtml.js"


def mathjax_static_dir() -> Path:
    """The installed folder that holds `mathjax/<MATHJAX_ENTRY>` (it becomes part of `_static`)."""
    try:
        distribution = importlib.metadata.distribution(MATHJAX_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as error:
        raise ExtensionError(
            f"offline math needs the PyPI package {MATHJAX_DISTRIBUTION!r}: "
            "pip install -e '.[book]'"
        ) from error
    for file in distribution.files or ():
        if file.name == MATHJAX_ENTRY and file.parent.name == "mathjax":
            entry = Path(str(distribution.locate_file(file)))
            if entry.is_file():
                return entry.parent.parent
    raise ExtensionError(f"{MATHJAX_DISTRIBUTION} is installed but has no mathjax/{MATHJAX_ENTRY}")


def use_local_mathjax(app: Sphinx, config: Config) -> None:
    """config-inited: add the MathJax folder to the static files, load MathJax from there."""
    static_dir = mathjax_static_dir()
    # A new list: the default value may be shared between Sphinx applications.
    config.html_static_path = [*config.html_static_path, str(static_dir)]
    # A path without a scheme is relative to `_static/` (Sphinx's add_js_file).
    config.mathjax_path = f"mathjax/{MATHJAX_ENTRY}"


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx.ext.mathjax")
    # After Jupyter Book and the themes have set their values at the default priority.
    app.connect("config-inited", use_local_mathjax, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
