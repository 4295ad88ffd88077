""".ci/check_html.py: each check fires on a hand-made page, and stays quiet on a clean one."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("check_html", ROOT / ".ci" / "check_html.py")
assert _spec is not None and _spec.loader is not None
check_html = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_html)

CODE_CELL = ('<div class="cell_input docutils container">'
             '<div class="highlight-ipython3 notranslate">'
             '<div class="highlight"><pre>x = float("nan")</pre></div></div></div>')
PATHS = ["/home/builder/repo", "site-packages/"]


def page(body: str) -> str:
    head = "<head><script>var nan = NaN;</script></head>"
    return f"<html>{head}<body>{CODE_CELL}{body}</body></html>"


def test_clean_page_passes() -> None:
    text = page("<p>τ = 1.73 tokens; nanoseconds; the banana; Nantes; cosine −0.88</p>")
    assert check_html.reader_problems(text, PATHS) == []


def test_nan_printed_as_a_value_fires() -> None:
    for shown in ("<p>precision nan, recall nan</p>", "<pre>cosine NaN</pre>",
                  "<td>-nan</td>"):
        problems = check_html.reader_problems(page(shown), PATHS)
        assert problems and "as a value" in problems[0], shown


def test_tqdm_warning_fires() -> None:
    problems = check_html.reader_problems(
        page("<pre>TqdmWarning: IProgress not found. Please update jupyter</pre>"), PATHS)
    assert "shows a TqdmWarning" in problems


def test_machine_path_fires() -> None:
    problems = check_html.reader_problems(
        page("<pre>Saved to /home/builder/repo/_build/cache/abc</pre>"), PATHS)
    assert problems == ["shows a path of the build machine (/home/builder/repo)"]
    problems = check_html.reader_problems(
        page("<pre>/venv/lib/python3.11/site-packages/tqdm/auto.py:21</pre>"), PATHS)
    assert problems == ["shows a path of the build machine (site-packages/)"]
