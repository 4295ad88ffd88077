"""Every ``RNNCTX_*`` variable read anywhere is in the registry, and config() accepts it.

The names are found by scanning the package, the Makefile, the notebooks, the benchmarks, the
book (pages and extensions), ``.ci/``, ``jupyter/``, the README and ``_config.yml``; a variable
added to any of them without a registry entry would make every chapter fail at ``config()`` (as
``RNNCTX_MALLOC_REUSE`` once did: issue 17). Each one found must be accepted by ``config()``:
a valid value is taken (the field, or the registry's parsed setting, changes) and a bad one is a
``ConfigError`` that names it and the fix.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import pytest

from rnnctx_utils import environment
from rnnctx_utils.config import (
    FIELD_MEANINGS,
    Config,
    ConfigError,
    config,
    known_variables,
    variables_table,
)

ROOT = Path(__file__).resolve().parents[1]
# Everywhere a variable can be read or documented for the reader to set: the package, the
# chapters, the benchmarks, the book's pages and extensions, CI, the Jupyter settings, the
# Makefile, the README and the book config. Not tests/ (it spells names wrong on purpose).
SCANNED = ("rnnctx_utils", "notebooks", "benchmarks", "book", ".ci", "jupyter", "Makefile",
           "README.md", "_config.yml")
TEXT_SUFFIXES = (".py", ".md", ".sh", ".yml", ".yaml", ".toml", ".json", ".txt", ".cfg", "")
# A name is RNNCTX_ followed by at least one letter; the bare prefix (RNNCTX_) is not a variable.
NAME = re.compile(r"\bRNNCTX_[A-Z][A-Z0-9_]*")
FIELDS = {f.name: f for f in fields(Config)}
# A value each variable accepts that differs from its default (so that taking it is visible),
# and one it must refuse. Integer fields not listed take "7" and refuse "-5".
VALID = {"corpus": "/data/reviews.parquet", "cell": "lstm", "fast": "1",
         "learning_rate": "0.01", "lr_decay": "0.25", "grad_clip": "2.0", "l2": "0.0",
         "seed": "3", "max_doc_len": "70", "truncate": "first",
         "RNNCTX_CACHE": "/tmp/rnnctx-cache", "RNNCTX_QUIET": "1", "RNNCTX_MALLOC_REUSE": "0",
         "RNNCTX_ONLINE": "1"}
INVALID = {"corpus": "", "cell": "transformer", "fast": "maybe", "learning_rate": "fast",
           "lr_decay": "2", "grad_clip": "-1", "l2": "-1", "seed": "x", "truncate": "middle",
           "RNNCTX_QUIET": "loud", "RNNCTX_MALLOC_REUSE": "yes", "RNNCTX_CACHE": "a\0b",
           "RNNCTX_ONLINE": "yes"}
# Variables read somewhere that config() does not handle, with the reason (none at present:
# each entry is an xfail that must keep failing until the registry learns the name).
NOT_HANDLED: dict[str, str] = {}


def _files() -> list[Path]:
    files: list[Path] = []
    for entry in SCANNED:
        path = ROOT / entry
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files += [p for p in sorted(path.rglob("*")) if p.is_file()
                      and p.suffix in TEXT_SUFFIXES and "__pycache__" not in p.parts]
    return files


def _names_read_in_project() -> dict[str, list[str]]:
    """Every RNNCTX_* name in the scanned files -> the files that mention it."""
    where: dict[str, list[str]] = {}
    for file in _files():
        for name in set(NAME.findall(file.read_text(errors="replace"))):
            where.setdefault(name, []).append(str(file.relative_to(ROOT)))
    return where


def _valid(variable: str) -> tuple[str, object]:
    """(raw value, the value config() or the registry must turn it into)."""
    key = variable.removeprefix("RNNCTX_").lower()
    raw = VALID.get(variable, VALID.get(key, "7"))
    if variable in environment.SETTINGS_BY_NAME:
        return raw, {"1": True, "0": False}.get(raw, raw)
    type_name = str(FIELDS[key].type)  # config.py's annotations are strings: "int", ...
    converters: dict[str, Callable[[str], object]] = {
        "int": int, "float": float, "str": str, "bool": lambda r: r == "1"}
    return raw, converters[type_name](raw)


def _check_accepted(variable: str) -> None:
    """Setting ``variable`` to a valid value is taken (and visible), a bad one is a clear error."""
    key = variable.removeprefix("RNNCTX_").lower()
    raw, expected = _valid(variable)
    cfg = config(env={variable: raw})  # raises ConfigError for a name it does not know
    if key in FIELDS:
        assert getattr(cfg, key) == expected and type(getattr(cfg, key)) is type(expected)
        assert getattr(config(env={}), key) != expected, "pick a VALID value off the default"
    else:  # a process setting: read through the registry, not a field of the configuration
        assert variable in environment.SETTINGS_BY_NAME
        assert cfg == config(env={})
        assert environment.read(variable, {variable: raw}) == expected
        assert environment.read(variable, {}) != expected, "pick a VALID value off the default"
    bad = INVALID.get(variable, INVALID.get(key, "-5"))
    with pytest.raises(ConfigError) as info:
        config(env={variable: bad})
    message = str(info.value)
    # the message names the variable (or its field) and what to do
    assert variable in message or key in message
    assert any(word in message for word in ("set it", "use ", "choose", "must"))


def test_scan_finds_the_variables_it_must() -> None:
    found = _names_read_in_project()
    # read in different modules, the Makefile, a benchmark and How to use; the scan sees each
    assert {"RNNCTX_CORPUS", "RNNCTX_CACHE", "RNNCTX_QUIET", "RNNCTX_MALLOC_REUSE",
            "RNNCTX_FAST", "RNNCTX_ONLINE", "RNNCTX_TRUNCATE", "RNNCTX_N_HIDDEN"} <= set(found)
    assert "Makefile" in found["RNNCTX_ONLINE"]
    assert any(f.startswith("book/") for f in found["RNNCTX_MAX_LEN"])


def _scanned_variables() -> list:
    return [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=NOT_HANDLED[name]))
            if name in NOT_HANDLED else name for name in sorted(_names_read_in_project())]


@pytest.mark.parametrize("variable", _scanned_variables())
def test_every_variable_read_in_the_project_is_accepted_by_config(variable: str) -> None:
    """Found by scanning the sources: a new RNNCTX_* name that config() does not accept fails
    here (with the files that read it) before it fails a chapter's first cell."""
    where = _names_read_in_project()[variable]
    assert variable in known_variables(), (
        f"{variable} is read in {where} but not registered in rnnctx_utils/environment.py "
        "(or a Config field)")
    _check_accepted(variable)


@pytest.mark.parametrize("variable", sorted(set(known_variables())))
def test_config_accepts_each_known_variable(variable: str) -> None:
    """Every registered name, read anywhere or not yet (each Config field has one)."""
    _check_accepted(variable)


def test_misspelt_variable_is_rejected_with_the_list() -> None:
    with pytest.raises(ConfigError) as info:
        config(env={"RNNCTX_N_HIDEN": "64"})
    assert "unknown setting RNNCTX_N_HIDEN" in str(info.value)
    assert "RNNCTX_MALLOC_REUSE" in str(info.value) and "RNNCTX_N_HIDDEN" in str(info.value)


def test_process_settings_read_through_the_registry() -> None:
    assert environment.read("RNNCTX_MALLOC_REUSE", {}) is True
    assert environment.read("RNNCTX_MALLOC_REUSE", {"RNNCTX_MALLOC_REUSE": "0"}) is False
    assert environment.read("RNNCTX_QUIET", {"RNNCTX_QUIET": "yes"}) is True
    assert environment.read("RNNCTX_CACHE", {}) == ""
    with pytest.raises(environment.SettingError, match="RNNCTX_QUIET='loud'"):
        environment.read("RNNCTX_QUIET", {"RNNCTX_QUIET": "loud"})


def test_table_lists_every_variable_with_a_meaning() -> None:
    assert set(FIELD_MEANINGS) == {f.name for f in fields(Config)}
    table = variables_table()
    rows = table.splitlines()[2:]
    assert len(rows) == len(known_variables())
    for variable in known_variables():
        assert f"| `{variable}` |" in table
    assert "| `RNNCTX_N_HIDDEN` | configuration (int) | `128` |" in table


def test_off_switch_imports_and_configures_in_a_fresh_process() -> None:
    script = ("import rnnctx_utils; from rnnctx_utils import allocator; "
              "from rnnctx_utils.config import config; config(); "
              "print(allocator.keep_freed_memory())")
    env = {"PATH": "/usr/bin:/bin", "RNNCTX_MALLOC_REUSE": "0", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(("online", "expected"), [("0", "HF_HUB_OFFLINE=1"),
                                                  ("1", "HF_HUB_OFFLINE=0")])
def test_make_runs_offline_unless_told(online: str, expected: str) -> None:
    done = subprocess.run(["make", "-n", "-o", ".venv/.installed", "book",
                           f"RNNCTX_ONLINE={online}"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=True)
    assert expected in done.stdout and "jupyter-book build" in done.stdout
