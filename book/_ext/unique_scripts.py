"""Write each `<script>` of a page once.

With Jupyter Book 1.0.4 and Sphinx 7.4, the inline scripts that sphinx-thebe and
sphinx-togglebutton register while the documents are read end up twice in every page, once with
the extension's priority and once with the default one. Twice ``const THEBE_JS_URL = ...`` is a
SyntaxError in the browser console on every page (found by `.ci/check_browser.py`). This keeps
the first of the scripts that have the same source and the same attributes.
"""

from __future__ import annotations

import json
import os
from typing import Any

from sphinx.application import Sphinx


def script_key(script: Any) -> str:
    """What makes two scripts the same on the page: file name and attributes (body included),
    not the priority that orders them."""
    if isinstance(script, str):  # the pre-Sphinx-7 string interface
        return json.dumps([script, {}])
    filename = os.fspath(script.filename) if script.filename else ""
    return json.dumps([filename, script.attributes], sort_keys=True, default=str)


def drop_duplicate_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """html-page-context, after every other handler: de-duplicate `script_files` in place."""
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set[str] = set()
    unique = []
    for script in scripts:
        key = script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    # In place: Sphinx restores the list from its own copy before the next page.
    scripts[:] = unique


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", drop_duplicate_scripts, priority=999)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
