"""The package's shape (issue 20): no import cycle, no module past 500 lines, a complete cache key.

Read from the sources (``ast``), nothing is imported: an import inside a function counts like
one at the top, since it ties the two modules together just the same.
"""

from __future__ import annotations

import ast
from pathlib import Path

from rnnctx_utils import analysis, analysis_cache, artifacts

PACKAGE = Path(analysis.__file__).resolve().parent
NAME = PACKAGE.name  # "rnnctx_utils"

MAX_LINES = 500

# Modules still longer than MAX_LINES, with their length when this list was written: they may
# shrink, not grow. Split one, then remove its entry.
TOO_LONG: dict[str, int] = {}


def _module_name(path: Path) -> str:
    """Dotted name of a source file of the package (a package's ``__init__.py``: the package)."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _imports(module: str) -> set[str]:
    """Package modules that ``module`` imports, anywhere in its source."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from .x import y
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # from package import submodule names the submodule; from module import name, the module
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                       for alias in node.names]
        else:
            continue
        found |= {target for target in targets if target in MODULES and target != module}
    return found


GRAPH = {module: _imports(module) for module in MODULES}


def _a_cycle() -> list[str] | None:
    """One import cycle of the package as [m1, m2, ..., m1], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(GRAPH[module]):
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[module] = 2
        return None

    for module in sorted(GRAPH):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def test_the_import_graph_sees_the_imports_in_functions_and_the_package_form() -> None:
    """The graph is built right: ``from rnnctx_utils import context`` inside a function of
    attractor_search.py, ``from rnnctx_utils.rollouts import ...`` at the top of position.py."""
    assert f"{NAME}.context" in GRAPH[f"{NAME}.attractor_search"]
    assert f"{NAME}.rollouts" in GRAPH[f"{NAME}.position"]
    assert f"{NAME}.plots.style" in GRAPH[f"{NAME}.plots.context"]


def test_cycle_finder_finds_a_planted_cycle() -> None:
    a, b, c = f"{NAME}.fixed_points", f"{NAME}.linearize", f"{NAME}.nearest_points"
    saved = {m: set(GRAPH[m]) for m in (a, b, c)}
    try:
        GRAPH[c].add(a)  # fixed_points -> nearest_points -> fixed_points
        cycle = _a_cycle()
        assert cycle is not None and cycle[0] == cycle[-1] and {a, c} <= set(cycle)
    finally:
        GRAPH.update(saved)


def test_no_import_cycle() -> None:
    cycle = _a_cycle()
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_linearize_and_fixed_points_do_not_import_each_other() -> None:
    assert f"{NAME}.fixed_points" not in GRAPH[f"{NAME}.linearize"]
    assert f"{NAME}.linearize" not in GRAPH[f"{NAME}.fixed_points"]


def _line_counts() -> dict[str, int]:
    """Lines of every module of the package itself (``plots/`` not counted)."""
    return {path.name: len(path.read_text().splitlines()) for path in PACKAGE.glob("*.py")}


def test_no_module_grows_past_500_lines() -> None:
    counts = _line_counts()
    too_long = {name: n for name, n in counts.items()
                if n > MAX_LINES and name not in TOO_LONG}
    assert not too_long, f"modules over {MAX_LINES} lines (split them): {too_long}"
    grown = {name: (TOO_LONG[name], counts[name]) for name in TOO_LONG
             if name in counts and counts[name] > TOO_LONG[name]}
    assert not grown, f"allow-listed modules grew (recorded, now): {grown}"


def test_the_allow_list_is_current() -> None:
    """Every entry of TOO_LONG is a module that is still too long (remove it once split)."""
    counts = _line_counts()
    stale = {name for name in TOO_LONG if counts.get(name, 0) <= MAX_LINES}
    assert not stale, f"remove {sorted(stale)} from TOO_LONG: no longer over {MAX_LINES} lines"


def test_analysis_cache_key_covers_every_module_the_analyses_import() -> None:
    """Every package module reachable from the analysis modules enters the analysis cache key,
    either directly (analysis_cache.ANALYSIS_MODULES) or through the trained model's digest
    (artifacts.TRAINING_MODULES, part of the path of the model and of its analysis cache)."""
    covered = {f"{NAME}.{name}" for name in analysis_cache.ANALYSIS_MODULES}
    covered |= {f"{NAME}.{name.removesuffix('.py')}" for name in artifacts.TRAINING_MODULES}
    covered.add(NAME)  # __init__.py
    todo, seen = [f"{NAME}.{name}" for name in analysis_cache.ANALYSIS_MODULES], set()
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += GRAPH[module]
    missing = sorted(seen - covered)
    assert not missing, f"add {missing} to analysis_cache.ANALYSIS_MODULES"
    assert set(analysis_cache.ANALYSIS_MODULES) <= {m.rpartition(".")[2] for m in MODULES}


def _reachable(start: list[str]) -> set[str]:
    """Every package module reachable by imports from the modules ``start``."""
    todo, seen = list(start), set()
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += GRAPH[module]
    return seen


def test_the_analyses_import_neither_training_nor_data() -> None:
    """Issue 20: the analyses work on a Network and arrays, so that a reader's own RNN needs no
    config, corpus or training code. Nothing the analysis modules reach imports experiment,
    train, corpora or artifacts (re-exported names included: the package root counts too)."""
    forbidden = {f"{NAME}.{name}" for name in ("experiment", "train", "corpora", "artifacts")}
    reached = _reachable([f"{NAME}.{name}" for name in analysis_cache.ANALYSIS_MODULES])
    assert not reached & forbidden, sorted(reached & forbidden)
    # and the check can fail: experiment reaches them
    assert f"{NAME}.train" in _reachable([f"{NAME}.experiment"])
