"""Every ``RNNCTX_*`` variable read anywhere is in the registry, and config() accepts it.

The names are found by scanning the package, the Makefile, the notebooks, the benchmarks, the
book's extensions and ``.ci/``; a variable added to any of them without a registry entry would
make every chapter fail at ``config()`` (as ``RNNCTX_MALLOC_REUSE`` once did: issue 17).
"""

from __future__ import annotations

import re
import subprocess
import sys
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
SCANNED = ("rnnctx_utils", "notebooks", "benchmarks", ".ci", "book/_ext", "Makefile")
# A name is RNNCTX_ followed by at least one letter; the bare prefix (RNNCTX_) is not a variable.
NAME = re.compile(r"\bRNNCTX_[A-Z][A-Z0-9_]*")
# A value each kind of variable accepts, and one it must refuse.
VALID = {"corpus": "synthetic", "cell": "lstm", "fast": "1", "learning_rate": "0.01",
         "lr_decay": "0.5", "grad_clip": "2.0", "l2": "0.0", "seed": "3", "max_doc_len": "70",
         "truncate": "first",
         "RNNCTX_CACHE": "/tmp/rnnctx-cache", "RNNCTX_QUIET": "1", "RNNCTX_MALLOC_REUSE": "0",
         "RNNCTX_ONLINE": "1"}
INVALID = {"corpus": "", "cell": "transformer", "fast": "maybe", "learning_rate": "fast",
           "lr_decay": "2", "grad_clip": "-1", "l2": "-1", "seed": "x", "truncate": "middle",
           "RNNCTX_QUIET": "loud", "RNNCTX_MALLOC_REUSE": "yes", "RNNCTX_CACHE": "a\0b",
           "RNNCTX_ONLINE": "yes"}


def _names_read_in_project() -> set[str]:
    names: set[str] = set()
    for entry in SCANNED:
        path = ROOT / entry
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()
                                                 and p.suffix in (".py", "", ".sh")]
        for file in files:
            names |= set(NAME.findall(file.read_text(errors="replace")))
    return names


def test_scan_finds_the_variables_it_must() -> None:
    found = _names_read_in_project()
    # read in three different modules and the Makefile; the scan must see each
    assert {"RNNCTX_CORPUS", "RNNCTX_CACHE", "RNNCTX_QUIET", "RNNCTX_MALLOC_REUSE",
            "RNNCTX_FAST"} <= found


def test_every_variable_read_anywhere_is_known() -> None:
    unknown = _names_read_in_project() - set(known_variables())
    assert not unknown, f"read but not registered in rnnctx_utils/environment.py: {unknown}"


@pytest.mark.parametrize("variable", sorted(set(known_variables())))
def test_config_accepts_each_known_variable(variable: str) -> None:
    key = variable.removeprefix("RNNCTX_").lower()
    value = VALID.get(variable, VALID.get(key, "7"))
    cfg = config(env={variable: value})
    if key in {f.name for f in fields(Config)}:
        assert str(getattr(cfg, key)) == ("True" if key == "fast" else value)
    else:  # a process setting is not a field: the configuration is the default one
        assert cfg == Config()


@pytest.mark.parametrize("variable", sorted(set(known_variables())))
def test_invalid_value_is_a_clear_error(variable: str) -> None:
    key = variable.removeprefix("RNNCTX_").lower()
    bad = INVALID.get(variable, INVALID.get(key, "-5"))
    with pytest.raises(ConfigError) as info:
        config(env={variable: bad})
    message = str(info.value)
    # the message names the variable (or its field) and what to do
    assert variable in message or key in message
    assert any(word in message for word in ("set it", "use ", "choose", "must"))


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
