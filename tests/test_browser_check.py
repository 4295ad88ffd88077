"""The browser check (.ci/check_browser.py) passes on a good site and fails on what a reader sees.

Each fixture is a two-page HTML site written into tmp_path, shaped like the Sphinx output (the
same MathJax 3 configuration and classes), with MathJax linked from the installed
sphinx-mathjax-offline package, as in the book. One headless Chromium serves all browser tests.
"""

from __future__ import annotations

import importlib.util
import shutil
import struct
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


check_browser = _load("check_browser", ROOT / ".ci" / "check_browser.py")
offline_mathjax = _load("offline_mathjax", ROOT / "book" / "_ext" / "offline_mathjax.py")

needs_chromium = pytest.mark.skipif(
    shutil.which(check_browser.CHROMIUM) is None,
    reason=f"{check_browser.CHROMIUM} is not installed (apt-get install -y chromium; "
    ".ci/run installs it before the tests)",
)


def png_bytes(width: int, height: int) -> bytes:
    """A valid red RGB PNG of the given size."""
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# Sphinx's MathJax 3 set-up as myst-parser configures it: only .math elements are typeset.
PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title>
<script>window.MathJax = {{"options": {{"processHtmlClass":
  "tex2jax_process|mathjax_process|math|output_area",
  "ignoreHtmlClass": "tex2jax_ignore|mathjax_ignore|document"}}}}</script>
<script defer src="{root}_static/mathjax/tex-mml-chtml.js"></script>
{head}
</head><body><div class="document"><section class="tex2jax_ignore mathjax_ignore">
<h1>{title}</h1>
{body}
</section></div></body></html>
"""

GOOD_CHAPTER = r"""
<p>A recurrent network forgets with time constant
<span class="math notranslate nohighlight">\(\tau = -1/\ln|\lambda|\)</span>.</p>
<div class="math notranslate nohighlight">\[h_{t+1} - h^* \approx J\,(h_t - h^*)\]</div>
<figure><img src="../_images/readout.png" alt="readout"></figure>
<div class="cell docutils container">
<div class="cell_input docutils container"><pre>print("\\(not math, code\\)", "$$")</pre></div>
<div class="cell_output docutils container">
<div class="output stream highlight-myst-ansi notranslate"><pre>accuracy 0.93</pre></div>
</div></div>
"""


def write_site(
    html_dir: Path,
    chapter_body: str = GOOD_CHAPTER,
    *,
    chapter_head: str = "",
    with_mathjax: bool = True,
    with_figure: bool = True,
) -> Path:
    """An index page and one chapter (two formulas, one figure, one code cell) under html_dir."""
    (html_dir / "notebooks").mkdir(parents=True)
    (html_dir / "_static").mkdir()
    if with_mathjax:
        (html_dir / "_static" / "mathjax").symlink_to(
            offline_mathjax.mathjax_static_dir() / "mathjax", target_is_directory=True
        )
    (html_dir / "_images").mkdir()
    if with_figure:
        (html_dir / "_images" / "readout.png").write_bytes(png_bytes(40, 30))
    index = PAGE.format(
        title="Index", root="", head="", body='<p><a href="notebooks/01_task.html">1</a></p>'
    )
    (html_dir / "index.html").write_text(index)
    chapter = PAGE.format(title="The task", root="../", head=chapter_head, body=chapter_body)
    (html_dir / "notebooks" / "01_task.html").write_text(chapter)
    return html_dir


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with check_browser.open_browser() as opened:
        yield opened


def chapter_report(html_dir: Path, browser: Any, index_ok: bool = True, **options: Any) -> Any:
    """Check the site; the chapter's report (the index page must pass when index_ok)."""
    shots = html_dir.parent / "shots"
    reports = check_browser.check_site(html_dir, shots, browser=browser, **options)
    assert [report.page for report in reports] == ["index.html", "notebooks/01_task.html"]
    assert (reports[0].problems == []) is index_ok
    return reports[1]


# -- with a browser ---------------------------------------------------------------------------
@needs_chromium
@pytest.mark.parametrize("use_server", [True, False], ids=["http", "file"])
def test_good_site_passes_with_math_typeset_and_screenshots(
    tmp_path: Path, browser: Any, use_server: bool
) -> None:
    html_dir = write_site(tmp_path / "html")
    report = chapter_report(html_dir, browser, use_server=use_server)
    assert report.problems == []
    assert report.stats["mathjax"] == "loaded"
    assert report.stats["math"] == 2
    assert report.stats["mathUnrendered"] == []
    assert report.stats["images"] == 1
    assert report.stats["brokenImages"] == []
    screenshot = tmp_path / "shots" / "notebooks" / "01_task.png"
    assert report.screenshot == screenshot
    # PNG header: width at bytes 16-20 is the viewport width.
    assert struct.unpack(">I", screenshot.read_bytes()[16:20])[0] == check_browser.VIEWPORT[0]


@needs_chromium
def test_removed_figure_fails(tmp_path: Path, browser: Any) -> None:
    report = chapter_report(write_site(tmp_path / "html", with_figure=False), browser)
    assert report.stats["brokenImages"] == ["../_images/readout.png"]
    assert sum("image did not load" in problem for problem in report.problems) == 1
    assert any("404" in problem and "readout.png" in problem for problem in report.problems)


@needs_chromium
@pytest.mark.parametrize(
    ("broken_math", "expected"),
    [
        # A TeX error: MathJax draws it in red instead of a formula.
        (r'<span class="math notranslate nohighlight">\(\frac{1}\)</span>', "TeX error"),
        # Math that no renderer picks up (not parsed by MyST, so no .math element).
        (r"<p>The gain is $$\alpha \cdot v$$ here.</p>", "unrendered math"),
        (r"<p>The gain is \(\alpha\) here.</p>", "unrendered math"),
    ],
    ids=["tex-error", "raw-dollars", "raw-parens"],
)
def test_broken_formula_fails(
    tmp_path: Path, browser: Any, broken_math: str, expected: str
) -> None:
    html_dir = write_site(tmp_path / "html", GOOD_CHAPTER + broken_math)
    report = chapter_report(html_dir, browser)
    assert sum(expected in problem for problem in report.problems) == 1, report.problems


@needs_chromium
def test_missing_mathjax_fails(tmp_path: Path, browser: Any) -> None:
    html_dir = write_site(tmp_path / "html", with_mathjax=False)
    report = chapter_report(html_dir, browser, index_ok=False)  # its MathJax is missing too
    assert report.stats["mathjax"] == "configured, script not loaded"
    assert len(report.stats["mathUnrendered"]) == 2
    assert any("2 formulas but MathJax" in problem for problem in report.problems)


@needs_chromium
def test_error_output_console_error_and_cdn_request_fail(tmp_path: Path, browser: Any) -> None:
    error_cell = (
        '<div class="cell_output docutils container">'
        '<div class="output traceback highlight-ipythontb notranslate"><pre>'
        "Traceback (most recent call last):\nValueError: bad cell</pre></div></div>"
    )
    head = (
        '<script>console.error("boom")</script>'
        '<script src="https://cdn.invalid.example/mathjax.js"></script>'
    )
    report = chapter_report(
        write_site(tmp_path / "html", GOOD_CHAPTER + error_cell, chapter_head=head), browser
    )
    assert report.stats["errorOutputs"] == ["ValueError: bad cell"]
    assert sum("error output cell" in problem for problem in report.problems) == 1
    assert sum(problem == "console error: boom" for problem in report.problems) == 1
    assert sum("non-local URL" in problem for problem in report.problems) == 1


@needs_chromium
@pytest.mark.slow  # two browser starts
def test_main_exit_code_and_screenshot_folder(tmp_path: Path) -> None:
    good = write_site(tmp_path / "good" / "html")
    assert check_browser.main([str(good)]) == 0
    assert sorted(p.name for p in (tmp_path / "good" / "screenshots").rglob("*.png")) == [
        "01_task.png",
        "index.png",
    ]
    bad = write_site(tmp_path / "bad" / "html", with_figure=False)
    assert check_browser.main([str(bad)]) == 1


# -- without a browser ------------------------------------------------------------------------
def test_pages_exclude_assets_and_redirects_are_followed(tmp_path: Path) -> None:
    html_dir = write_site(tmp_path / "html")
    (html_dir / "_static" / "extra.html").write_text("<p>asset</p>")
    (html_dir / "_sources").mkdir()
    (html_dir / "_sources" / "page.html").write_text("<p>source</p>")
    pages = check_browser.find_pages(html_dir)
    assert [p.as_posix() for p in pages] == ["index.html", "notebooks/01_task.html"]
    redirect = tmp_path / "redirect.html"
    redirect.write_text('<meta http-equiv="Refresh" content="0; url=book/intro.html" />')
    assert check_browser.redirect_target(redirect) == "book/intro.html"
    assert check_browser.redirect_target(html_dir / "index.html") is None


def test_events_flag_errors_and_external_requests_but_not_the_favicon() -> None:
    base = "http://127.0.0.1:8123/"

    def request(request_id: str, url: str) -> dict[str, Any]:
        return {
            "method": "Network.requestWillBeSent",
            "params": {"requestId": request_id, "request": {"url": url}},
        }

    events = [
        request("1", base + "notebooks/01_task.html"),
        request("2", base + "favicon.ico"),
        {
            "method": "Network.responseReceived",
            "params": {"requestId": "2", "response": {"url": base + "favicon.ico", "status": 404}},
        },
        request("3", "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"),
        {
            "method": "Network.loadingFailed",
            "params": {"requestId": "3", "errorText": "net::ERR_NAME_NOT_RESOLVED"},
        },
        {
            "method": "Runtime.consoleAPICalled",
            "params": {"type": "warning", "args": [{"value": "just a warning"}]},
        },
        {
            "method": "Runtime.exceptionThrown",
            "params": {"exceptionDetails": {"exception": {"description": "SyntaxError: x"}}},
        },
    ]
    problems = check_browser.problems_from_events(events, base)
    assert len(problems) == 3, problems
    assert problems[0].startswith("request to a non-local URL")
    assert problems[1].startswith("failed to load https://cdn.jsdelivr.net/")
    assert problems[2] == "uncaught exception: SyntaxError: x"


def test_book_serves_mathjax_from_the_build() -> None:
    """The book's configuration loads the offline extensions, and the package ships MathJax."""
    book = yaml.safe_load((ROOT / "_config.yml").read_text())
    extensions = book["sphinx"]["local_extensions"]
    assert extensions["offline_mathjax"] == "book/_ext"
    assert extensions["ipynb_download"] == "book/_ext"
    assert book["html"]["use_download_button"] is True
    mathjax = offline_mathjax.mathjax_static_dir() / "mathjax"
    assert (mathjax / offline_mathjax.MATHJAX_ENTRY).stat().st_size > 100_000
    fonts = list((mathjax / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert len(fonts) >= 20


def test_chapter_needs_py_and_ipynb_downloads(tmp_path: Path) -> None:
    html_dir = tmp_path / "html"
    (html_dir / "_sources" / "notebooks").mkdir(parents=True)
    (html_dir / "_sources" / "notebooks" / "01_task.py").write_text("# %%\n")
    base = "http://127.0.0.1:8123/"
    page = Path("notebooks/01_task.html")
    links = [base + "_sources/notebooks/01_task.py", base + "_sources/notebooks/01_task.ipynb"]
    problems = check_browser.download_problems(html_dir, page, links, base)
    assert problems == [f"the .ipynb download {links[1]} is missing from the build"]
    (html_dir / "_sources" / "notebooks" / "01_task.ipynb").write_text("{}")
    assert check_browser.download_problems(html_dir, page, links, base) == []
    assert check_browser.download_problems(html_dir, page, links[:1], base) == [
        "no .ipynb download button"
    ]
    # A page without a .py source (book/intro.md) needs no download buttons.
    assert check_browser.download_problems(html_dir, Path("book/intro.html"), [], base) == []
