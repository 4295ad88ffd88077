"""The project's files agree with each other: requirements, book config, table of contents."""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_mirrors_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():  # every extra: book, test, lab
        wanted += extra
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = [r for r in pip_section if not r.startswith("-e")]
    assert sorted(map(_name, listed)) == sorted(map(_name, wanted))
    # Same specifier, requirement by requirement.
    assert {_name(r): r.replace(" ", "") for r in listed} == {
        _name(r): r.replace(" ", "") for r in wanted
    }
    assert any(r.startswith("-e .") for r in pip_section), "environment.yml must install ."


def test_jupyter_book_is_version_one() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (spec,) = [r for r in project["optional-dependencies"]["book"] if _name(r) == "jupyter-book"]
    assert ">=1.0.4" in spec and "<2" in spec


def test_book_fails_on_cell_errors() -> None:
    book = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert book["execute"]["raise_on_error"] is True
    assert book["execute"]["allow_errors"] is False
    assert book["sphinx"]["config"]["nb_execution_raise_on_error"] is True
    assert book["only_build_toc_files"] is True
    for pattern in (".venv", "notebooks/*.ipynb", "_build"):
        assert pattern in book["exclude_patterns"]


def test_toc_lists_every_chapter_and_each_exists() -> None:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for p in toc["parts"] for c in p["chapters"]]
    chapters = [f for f in files if f.startswith("notebooks/")]
    assert chapters == [
        "notebooks/01_task",
        "notebooks/02_linearization",
        "notebooks/03_line_attractor",
        "notebooks/04_modifier_identification",
        "notebooks/05_strength_and_timing",
        "notebooks/06_necessity_and_sufficiency",
        "notebooks/07_toy_language",
        "notebooks/08_four_cells",
    ]
    for name in files:
        matches = [p for p in ROOT.glob(name + ".*") if p.suffix in (".md", ".py", ".ipynb")]
        assert matches, f"{name} is in _toc.yml but has no source file"
        assert not any(p.suffix == ".ipynb" for p in matches if "notebooks" in name) or any(
            p.suffix == ".py" for p in matches
        )


def test_chapters_are_paired_percent_scripts() -> None:
    pairing = (ROOT / "notebooks" / "jupytext.toml").read_text()
    assert 'formats = "ipynb,py:percent"' in pairing
    for script in sorted((ROOT / "notebooks").glob("0*.py")):
        head = script.read_text().splitlines()[:12]
        assert "#       format_name: percent" in head, script


def _package_modules() -> list[tuple[str, Path]]:
    """Every module of the package in this checkout: (dotted name, source file)."""
    found = []
    for path in sorted((ROOT / "rnnctx_utils").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found.append((".".join(parts[:-1] if parts[-1] == "__init__" else parts), path))
    return found


@pytest.mark.parametrize(("module", "path"), _package_modules(),
                         ids=[name for name, _ in _package_modules()])
def test_every_package_module_imports_from_this_checkout(module: str, path: Path) -> None:
    """Each module imports, and from this working tree: an editable install pointing at
    another copy (or a stale wheel in site-packages) would test code that is not this one."""
    imported = importlib.import_module(module)
    assert imported.__name__ == module
    assert imported.__file__ is not None and Path(imported.__file__).resolve() == path.resolve()


def test_module_scan_sees_the_package() -> None:
    names = {name for name, _ in _package_modules()}
    assert {"rnnctx_utils", "rnnctx_utils.config", "rnnctx_utils.plots",
            "rnnctx_utils.plots.style"} <= names


def test_package_init_is_light() -> None:
    """Importing the package must not pull in JAX or datasets (style.md: no heavy __init__)."""
    import subprocess
    import sys

    code = (
        "import sys, rnnctx_utils; "
        "print(int('jax' in sys.modules), int('datasets' in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "0"]
