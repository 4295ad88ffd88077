"""Fail unless the rendered book has its index, one page per chapter, and nothing a reader should
not see: error output, a `nan` printed as a value, a TqdmWarning, a path of the build machine, an
image without a caption, or TeX markup outside rendered math."""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import yaml

# Markers that myst-nb / nbclient leave in a page when a cell failed or printed a traceback.
ERROR_MARKERS = (
    re.compile(r'class="[^"]*\boutput\b[^"]*\btraceback\b'),
    re.compile(r'class="[^"]*\boutput\b[^"]*\berror\b'),
    re.compile(r"Traceback \(most recent call last\)"),
)


# What a reader must not see in a page's visible text (scripts and styles removed).
NAN_VALUE = re.compile(r"(?<![\w.-])[-+]?(?:nan|NaN|NAN)(?![\w-])")
WARNING_MARKERS = ("TqdmWarning", "IProgress not found")
_INVISIBLE = re.compile(r"<(script|style)\b.*?</\1>", re.DOTALL | re.IGNORECASE)
# A code cell's source (Python may say float("nan")); its outputs stay.
_CODE_INPUT = re.compile(r'<div class="highlight-(?:ipython3|python)[^"]*"><div class="highlight">'
                         r"<pre>.*?</pre>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
# Rendered math (MathJax typesets it): inline `<span class="math ...">`, display `<div class="math
# ...">`; neither holds a nested span or div.
_MATH = re.compile(r'<(span|div)\s+class="math\b[^"]*"[^>]*>.*?</\1>', re.DOTALL)
# TeX markup that only reads right inside math: sub/superscript braces and common commands.
TEX_MARKUP = re.compile(r"[_^]\{|\\(?:frac|dfrac|mathrm|mathbf|mathcal|mathbb|operatorname"
                        r"|lVert|rVert|sum|prod|alpha|beta|gamma|tau|lambda|sigma|partial|Delta"
                        r"|left|right|sqrt|approx|qquad|cdot|top)(?![a-z])")


def visible_text(page_html: str) -> str:
    """The page's text as a reader sees it: no scripts, styles or tags (entities kept)."""
    return _TAG.sub(" ", _CODE_INPUT.sub(" ", _INVISIBLE.sub(" ", page_html)))


class _Figures(HTMLParser):
    """Each `<img>` of a page with whether a `<figure>` around it has a `<figcaption>`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[dict[str, bool]] = []  # the <figure> elements the parser is inside
        self.images: list[tuple[str, list[dict[str, bool]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "figure":
            self.open.append({"caption": False})
        elif tag == "figcaption" and self.open:
            self.open[-1]["caption"] = True
        elif tag == "img":
            self.images.append((dict(attrs).get("src") or "?", list(self.open)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure" and self.open:
            self.open.pop()


def uncaptioned_images(page_html: str) -> list[str]:
    """The src of every `<img>` that is not inside a `<figure>` with a `<figcaption>`."""
    parser = _Figures()
    parser.feed(_INVISIBLE.sub(" ", page_html))
    parser.close()
    return [src for src, figures in parser.images if not any(f["caption"] for f in figures)]


def raw_tex(page_html: str) -> list[str]:
    """A short context for each piece of TeX markup in the visible text outside rendered math."""
    text = visible_text(_MATH.sub(" ", page_html))
    return [" ".join(text[max(0, m.start() - 40):m.end() + 30].split())
            for m in TEX_MARKUP.finditer(text)]


def reader_problems(page_html: str, machine_paths: list[str]) -> list[str]:
    """Problems in one page: nan values, progress-bar warnings or local paths in its visible
    text, images without a caption, TeX markup outside rendered math."""
    text = visible_text(page_html)
    problems = []
    for match in NAN_VALUE.finditer(text):
        context = " ".join(text[max(0, match.start() - 60):match.end() + 30].split())
        problems.append(f"shows {match.group()!r} as a value: ...{context}...")
    problems += [f"shows a {marker}" for marker in WARNING_MARKERS if marker in text]
    problems += [f"shows a path of the build machine ({path})" for path in machine_paths
                 if path in text]
    problems += [f"shows an image without a caption ({src})" for src in
                 uncaptioned_images(page_html)]
    problems += [f"shows TeX markup outside math: ...{context}..." for context in
                 raw_tex(page_html)]
    return problems


def machine_paths(root: Path) -> list[str]:
    """Absolute paths a page must not print: the repository, the home folder, site-packages."""
    return [str(root.resolve()), str(Path.home()), "site-packages/"]


def toc_files(toc_path: Path) -> list[str]:
    """Every `file:` entry of _toc.yml, plus the root."""
    toc = yaml.safe_load(toc_path.read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [entry["file"] for entry in part.get("chapters", [])]
    return files


def main(html_dir: str) -> int:
    html = Path(html_dir)
    problems: list[str] = []
    if not (html / "index.html").is_file():
        problems.append(f"{html}/index.html is missing")
    for name in toc_files(Path("_toc.yml")):
        page = html / f"{name}.html"
        if not page.is_file():
            problems.append(f"page {page} is missing")
            continue
        text = page.read_text(encoding="utf-8")
        for marker in ERROR_MARKERS:
            if marker.search(text):
                problems.append(f"{page} contains an error output ({marker.pattern})")
        problems += [f"{page} {p}" for p in reader_problems(text, machine_paths(Path.cwd()))]
    for problem in problems:
        print("ERROR:", problem)
    if not problems:
        print(f"HTML check: index and {len(toc_files(Path('_toc.yml')))} pages present, no errors")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "_build/html"))
