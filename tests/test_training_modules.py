"""The cache key covers every module that can change a trained model (no stale artifacts)."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from rnnctx_utils import artifacts

PACKAGE = Path(artifacts.__file__).resolve().parent


def _imports(nodes: Iterable[ast.AST]) -> set[str]:
    """Module files of rnnctx_utils named by the import statements among ``nodes``."""
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "rnnctx_utils":
                found |= {f"{alias.name}.py" for alias in node.names}
            elif node.module.startswith("rnnctx_utils."):
                found.add(node.module.split(".")[1] + ".py")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("rnnctx_utils."):
                    found.add(alias.name.split(".")[1] + ".py")
    return found


def _package_imports(path: Path) -> set[str]:
    """Module files of rnnctx_utils imported anywhere in ``path`` (top level or in functions)."""
    return _imports(ast.walk(ast.parse(path.read_text())))


def _top_level_imports(path: Path) -> set[str]:
    """Module files of rnnctx_utils imported at the top level of ``path``."""
    return _imports(ast.parse(path.read_text()).body)


#: Modules experiment.py imports only to hand a trained model to the analyses: nothing in them
#: runs during training (network.py wraps the trained parameters in a Network value).
ANALYSIS_VIEWS = {"network.py"}


def test_analysis_views_are_not_used_by_training() -> None:
    for name in ("train.py", "models.py", "cells.py", "bow.py", "corpora.py", "text.py"):
        assert not _package_imports(PACKAGE / name) & ANALYSIS_VIEWS, name
    tree = ast.parse((PACKAGE / "experiment.py").read_text())
    train_functions = [n for n in ast.walk(tree)
                       if isinstance(n, ast.FunctionDef) and n.name in ("train_model",
                                                                        "fit_bow_baseline")]
    assert len(train_functions) == 2
    for function in train_functions:
        names = {n.id for n in ast.walk(function) if isinstance(n, ast.Name)}
        assert "Network" not in names


def test_training_modules_are_closed_under_imports() -> None:
    """Everything experiment.py reaches, transitively, is hashed into the cache key."""
    todo, seen = ["experiment.py"], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in ANALYSIS_VIEWS:
            continue
        todo += [m for m in _package_imports(PACKAGE / name) if (PACKAGE / m).exists()]
    missing = seen - set(artifacts.TRAINING_MODULES) - ANALYSIS_VIEWS
    assert not missing, f"add {sorted(missing)} to artifacts.TRAINING_MODULES"


def test_the_toy_model_has_its_own_training_digest(tmp_path: Path) -> None:
    """toy.py trains on cells.py (its analysis functions import the dynamics toolkit inside
    functions, which does not change the trained weights), and stores with artifacts.py."""
    toy_reaches = _top_level_imports(PACKAGE / "toy.py") | {"artifacts.py", "toy.py"}
    assert toy_reaches <= set(artifacts.TOY_TRAINING_MODULES)
    # editing the toy does not retrain the book's model, and editing train.py not the toy
    assert "toy.py" not in artifacts.TRAINING_MODULES
    assert "train.py" not in artifacts.TOY_TRAINING_MODULES
    for name in {*artifacts.TRAINING_MODULES, *artifacts.TOY_TRAINING_MODULES}:
        (tmp_path / name).write_text(f"# {name}\n")
    book, toy = (artifacts.source_digest(tmp_path, m) for m in
                 (artifacts.TRAINING_MODULES, artifacts.TOY_TRAINING_MODULES))
    (tmp_path / "toy.py").write_text("# toy.py changed\n")
    assert artifacts.source_digest(tmp_path) == book
    assert artifacts.source_digest(tmp_path, artifacts.TOY_TRAINING_MODULES) != toy


def test_source_digest_tracks_training_code_only(tmp_path: Path) -> None:
    for name in artifacts.TRAINING_MODULES:
        (tmp_path / name).write_text(f"# {name}\n")
    before = artifacts.source_digest(tmp_path)
    (tmp_path / "plots_or_analysis.py").write_text("x = 1\n")
    assert artifacts.source_digest(tmp_path) == before
    (tmp_path / "train.py").write_text("# train.py changed\n")
    assert artifacts.source_digest(tmp_path) != before
