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


IMAGE = '<img alt="plot" src="../_images/abc.png" />'
CAPTION = ('<figcaption><p><span class="caption-number">Fig. 1 </span>'
           '<span class="caption-text">Readout against token.</span></p></figcaption>')


def test_captioned_figure_and_math_pass() -> None:
    figure = (f'<figure class="align-default" id="fig-ch1-probes">'
              f'<div class="cell_output docutils container">{IMAGE}</div>{CAPTION}</figure>')
    math = ('<p>the state <span class="math notranslate nohighlight">\\(h_{t-1}\\)</span> and'
            '</p><div class="math notranslate nohighlight">\\[\\frac{\\partial F}{\\partial h}'
            ' = \\sum_{t} \\alpha_t \\lVert w \\rVert\\]</div><p>h_t, ‖w‖, e^x, τ = 3</p>')
    assert check_html.reader_problems(page(figure + math), PATHS) == []


def test_image_without_caption_fires() -> None:
    for body in (f'<div class="cell_output docutils container">{IMAGE}</div>',
                 f'<figure class="align-default">{IMAGE}</figure>',
                 f'<figure>{CAPTION}</figure><p>{IMAGE}</p>'):
        problems = check_html.reader_problems(page(body), PATHS)
        assert problems == ["shows an image without a caption (../_images/abc.png)"], body


def test_raw_tex_outside_math_fires() -> None:
    for shown, markup in (("<p>a map h_t = F(h_{t−1}, x_t)</p>", "h_{t−1}"),
                          ("<p>decays as e^{−k/τ} per token</p>", "e^{−k/τ}"),
                          ("<p>the score \\operatorname{mean} of ‖ΔJ‖</p>", "\\operatorname"),
                          ("<li>gain \\alpha and \\tau</li>", "\\alpha"),
                          ("<td>\\left( x \\right)</td>", "\\left(")):
        problems = check_html.reader_problems(page(shown), PATHS)
        assert problems and all(p.startswith("shows TeX markup outside math") for p in problems)
        assert markup in problems[0], (shown, problems)
