"""Fail unless the rendered book has its index, one page per chapter, and no error output."""

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
    for problem in problems:
        print("ERROR:", problem)
    if not problems:
        print(f"HTML check: index and {len(toc_files(Path('_toc.yml')))} pages present, no errors")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "_build/html"))
