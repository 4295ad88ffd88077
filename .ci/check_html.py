"""Fail unless the rendered book has its index, one page per chapter, and nothing a reader should
not see: error output, a `nan` printed as a value, a TqdmWarning, or a path of the build machine."""

from __future__ import annotations

import re
import sys
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


def visible_text(page_html: str) -> str:
    """The page's text as a reader sees it: no scripts, styles or tags (entities kept)."""
    return _TAG.sub(" ", _CODE_INPUT.sub(" ", _INVISIBLE.sub(" ", page_html)))


def reader_problems(page_html: str, machine_paths: list[str]) -> list[str]:
    """Problems in one page's visible text: nan values, progress-bar warnings, local paths."""
    text = visible_text(page_html)
    problems = []
    for match in NAN_VALUE.finditer(text):
        context = " ".join(text[max(0, match.start() - 60):match.end() + 30].split())
        problems.append(f"shows {match.group()!r} as a value: ...{context}...")
    problems += [f"shows a {marker}" for marker in WARNING_MARKERS if marker in text]
    problems += [f"shows a path of the build machine ({path})" for path in machine_paths
                 if path in text]
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
