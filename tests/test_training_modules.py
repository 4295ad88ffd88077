"""The cache key covers every module that can change a trained model (no stale artifacts)."""

from __future__ import annotations

import ast
import shutil
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


def _toy_module(name: str) -> str:
    """``rnnctx_utils.toy.model`` -> ``toy/model.py``."""
    return "/".join(name.split(".")[1:]) + ".py"


def _toy_imports(path: Path, top_level: bool) -> set[str]:
    """Package files (``cells.py``, ``toy/model.py``) that a toy module imports, at the top
    level only or anywhere."""
    nodes = ast.parse(path.read_text()).body if top_level else ast.walk(ast.parse(path.read_text()))
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module == "rnnctx_utils.toy":
            found |= {f"toy/{alias.name}.py" for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "rnnctx_utils.toy."):
            found.add(_toy_module(node.module or ""))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            found |= _imports([node])
    return found


def test_the_toy_model_has_its_own_training_digest(tmp_path: Path) -> None:
    """The toy trains through toy/training.py on its language, settings and model, on cells.py
    and models.py (the shared readout), and stores with artifacts.py; its analyses import the
    dynamics toolkit inside functions, which does not change the trained weights."""
    todo, reaches = ["toy/training.py"], set()
    while todo:
        name = todo.pop()
        if name in reaches:
            continue
        reaches.add(name)
        todo += [m for m in _toy_imports(PACKAGE / name, top_level=True)
                 if (PACKAGE / m).exists()]
    reaches |= {"artifacts.py", "persistence.py"}  # trained_toy_model stores with these
    assert reaches <= set(artifacts.TOY_TRAINING_MODULES), reaches
    # editing the toy does not retrain the book's model, and editing train.py not the toy
    assert not any(name.startswith("toy/") for name in artifacts.TRAINING_MODULES)
    assert "train.py" not in artifacts.TOY_TRAINING_MODULES
    for name in {*artifacts.TRAINING_MODULES, *artifacts.TOY_TRAINING_MODULES}:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(f"# {name}\n")
    book, toy = (artifacts.source_digest(tmp_path, m) for m in
                 (artifacts.TRAINING_MODULES, artifacts.TOY_TRAINING_MODULES))
    (tmp_path / "toy" / "training.py").write_text("# toy/training.py changed\n")
    assert artifacts.source_digest(tmp_path) == book
    assert artifacts.source_digest(tmp_path, artifacts.TOY_TRAINING_MODULES) != toy


def test_editing_the_toy_tables_or_analyses_does_not_retrain_the_toy(tmp_path: Path) -> None:
    """The toy's analysis and table modules are outside its training digest and nothing in
    the digest imports them; on a copy of the package, a table string edited in toy/tables.py
    keeps the toy's digest, an edit of toy/language.py changes it."""
    analysis_only = {"toy/forward.py", "toy/dynamics.py", "toy/probes.py", "toy/analysis.py",
                     "toy/tables.py", "toy/readings.py"}
    toy_training = {name for name in artifacts.TOY_TRAINING_MODULES if name.startswith("toy/")}
    assert {f"toy/{path.name}" for path in (PACKAGE / "toy").glob("*.py")} == (
        analysis_only | toy_training | {"toy/__init__.py"})
    for name in toy_training:
        assert not _toy_imports(PACKAGE / name, top_level=False) & analysis_only, name

    copy = tmp_path / "rnnctx_utils"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = artifacts.source_digest(copy, artifacts.TOY_TRAINING_MODULES)
    tables = copy / "toy" / "tables.py"
    edited = tables.read_text().replace("largest gap", "largest difference")
    assert edited != tables.read_text()
    tables.write_text(edited)
    assert artifacts.source_digest(copy, artifacts.TOY_TRAINING_MODULES) == before
    language = copy / "toy" / "language.py"
    language.write_text(language.read_text() + "\n# edited\n")
    assert artifacts.source_digest(copy, artifacts.TOY_TRAINING_MODULES) != before


def test_the_toy_package_init_only_reexports() -> None:
    """toy/__init__.py is left out of the toy's training digest: it may hold only its
    docstring, imports of the toy's own modules and ``__all__``."""
    tree = ast.parse((PACKAGE / "toy" / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "rnnctx_utils.toy."):
            continue
        assert isinstance(node, ast.Assign) and [t.id for t in node.targets
                                                 if isinstance(t, ast.Name)] == ["__all__"], (
            ast.dump(node)[:200])


def test_source_digest_tracks_training_code_only(tmp_path: Path) -> None:
    for name in artifacts.TRAINING_MODULES:
        (tmp_path / name).write_text(f"# {name}\n")
    before = artifacts.source_digest(tmp_path)
    (tmp_path / "plots_or_analysis.py").write_text("x = 1\n")
    assert artifacts.source_digest(tmp_path) == before
    (tmp_path / "train.py").write_text("# train.py changed\n")
    assert artifacts.source_digest(tmp_path) != before
