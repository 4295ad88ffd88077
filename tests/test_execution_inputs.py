"""The book re-executes its chapters when the package, data, settings or versions change.

jupyter-cache hashes a chapter's code cells only; book/_ext/execution_inputs.py removes the
execution cache when anything else the chapters run on has changed.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _extension() -> ModuleType:
    path = ROOT / "book" / "_ext" / "execution_inputs.py"
    spec = importlib.util.spec_from_file_location("execution_inputs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ext = _extension()


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "book_root"
    shutil.copytree(ROOT / "rnnctx_utils", root / "rnnctx_utils",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (root / "book" / "data").mkdir(parents=True)
    (root / "book" / "data" / "numbers.json").write_text('{"mse": 0.0036}\n')
    return root


def test_digest_follows_sources_data_settings_and_versions(tmp_path):
    root = _project(tmp_path)
    env = {"RNNCTX_CORPUS": "synthetic", "HOME": "/somewhere"}
    base = ext.inputs_digest(root, env)
    assert ext.inputs_digest(root, env) == base  # deterministic
    # Unrelated variables do not count.
    assert ext.inputs_digest(root, {**env, "HOME": "/elsewhere"}) == base
    changed = {
        "RNNCTX_* setting": ext.inputs_digest(root, {**env, "RNNCTX_CORPUS": "imdb"}),
        "new RNNCTX_* setting": ext.inputs_digest(root, {**env, "RNNCTX_FAST": "1"}),
        "versions": ext.inputs_digest(root, env, distributions=("a-package-not-installed",)),
    }
    (root / "book" / "data" / "numbers.json").write_text('{"mse": 0.0040}\n')
    changed["book data"] = ext.inputs_digest(root, env)
    (root / "rnnctx_utils" / "fixed_points.py").write_text("# edited\n")
    changed["package source"] = ext.inputs_digest(root, env)
    digests = [base, *changed.values()]
    assert len(set(digests)) == len(digests), changed


def test_cache_removed_only_when_the_inputs_changed(tmp_path):
    cache = tmp_path / "_build" / ".jupyter_cache"
    record = tmp_path / "_build" / ".jupyter_cache.inputs"
    # First build: no cache yet, nothing to remove; the digest is recorded.
    assert ext.refresh_execution_cache(cache, "aaa") is None
    assert record.read_text().strip() == "aaa"
    cache.mkdir()
    (cache / "global.db").write_text("outputs")
    # Same inputs: the cache is kept.
    assert ext.refresh_execution_cache(cache, "aaa") is None
    assert (cache / "global.db").exists()
    # Other inputs: removed, new digest recorded.
    assert "changed" in ext.refresh_execution_cache(cache, "bbb")
    assert not cache.exists() and record.read_text().strip() == "bbb"
    # A cache without a record (built before the record existed) cannot be trusted.
    cache.mkdir()
    record.unlink()
    assert "no record" in ext.refresh_execution_cache(cache, "bbb")
    assert not cache.exists()


def test_every_page_is_read_again_when_the_cache_was_removed():
    from types import SimpleNamespace

    env = SimpleNamespace(found_docs={"book/intro", "notebooks/01_task", "notebooks/02_x"})
    stale = SimpleNamespace(_rnnctx_rerun_all=True)
    # Sphinx reads the changed page anyway; the others come back as outdated
    assert ext.on_env_get_outdated(stale, env, set(), {"notebooks/01_task"}, set()) == [
        "book/intro", "notebooks/02_x"]
    fresh = SimpleNamespace(_rnnctx_rerun_all=False)
    assert ext.on_env_get_outdated(fresh, env, set(), {"notebooks/01_task"}, set()) == []
