"""Every ``RNNCTX_*`` environment variable the book reads, in one registry.

Two kinds of variables share the ``RNNCTX_`` prefix:

- one per field of :class:`rnnctx_utils.config.Config` (``RNNCTX_CORPUS``, ``RNNCTX_N_HIDDEN``,
  ...), read by :func:`rnnctx_utils.config.config`;
- the process settings below, which do not change what is trained or measured and so are not
  configuration fields: where the cache lives, whether progress lines print, and glibc's
  allocator setting.

:func:`rnnctx_utils.config.config` accepts exactly these names and rejects any other
``RNNCTX_*`` variable (a misspelt field name would otherwise be silently ignored).
The modules that read a process setting read it through :func:`read`, so a bad value gets the
same clear error wherever it is read first. How to use renders its table of variables from
:func:`variables_table`.

This module imports nothing from the package: :mod:`rnnctx_utils.allocator` reads its switch
through it before anything else is imported.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

PREFIX = "RNNCTX_"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


class SettingError(ValueError):
    """An ``RNNCTX_*`` variable is unknown or has a value it cannot take; the message names
    the fix."""


def parse_flag(name: str, raw: str) -> bool:
    """``1/true/yes/on`` → True, ``0/false/no/off`` or empty → False; anything else is an error."""
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise SettingError(
        f"{name}={raw!r} is not a valid flag; set it to 1 (on) or 0 (off), or unset it"
    )


def parse_switch(name: str, raw: str) -> bool:
    """Exactly ``1`` (on) or ``0`` (off): the Makefile tests the same variable as a string."""
    value = raw.strip()
    if value not in ("0", "1"):
        raise SettingError(f"{name}={raw!r}: use 1 (on) or 0 (off); see How to use")
    return value == "1"


def parse_path(name: str, raw: str) -> str:
    """A folder path; empty means the default."""
    if "\0" in raw:
        raise SettingError(f"{name} contains a NUL character; set it to a folder path")
    return raw


@dataclass(frozen=True)
class ProcessSetting:
    """One ``RNNCTX_*`` variable that is not a configuration field.

    name: the variable; default: its value when unset (as a string); meaning: one sentence for
    the reader; read_by: the module that reads it; parse: ``(name, raw) -> value`` that raises
    :class:`SettingError` on a bad value.
    """

    name: str
    default: str
    meaning: str
    read_by: str
    parse: Callable[[str, str], Any]


PROCESS_SETTINGS: tuple[ProcessSetting, ...] = (
    ProcessSetting(
        "RNNCTX_CACHE", "<repository>/_build/cache",
        "folder of the cached trained models and analyses", "rnnctx_utils.artifacts", parse_path,
    ),
    ProcessSetting(
        "RNNCTX_QUIET", "0", "1 silences the progress lines of the long analysis steps",
        "rnnctx_utils.progress", parse_flag,
    ),
    ProcessSetting(
        "RNNCTX_ONLINE", "0",
        "1 lets `make book`/`make lab` reach the Hugging Face hub (to download a hub corpus "
        "once); by default they run offline", "the Makefile", parse_switch,
    ),
    ProcessSetting(
        "RNNCTX_MALLOC_REUSE", "1",
        "0 keeps glibc's own allocator settings (1: freed memory is reused, training 15-20% "
        "faster; also read by the Makefile)", "rnnctx_utils.allocator and the Makefile",
        parse_switch,
    ),
)
SETTINGS_BY_NAME = {setting.name: setting for setting in PROCESS_SETTINGS}


def read(name: str, environ: Mapping[str, str] | None = None) -> Any:
    """The parsed value of the process setting ``name`` (its default when unset).

    Raises:
        KeyError: ``name`` is not a registered process setting (a programming error).
        SettingError: the variable is set to a value it cannot take.
    """
    setting = SETTINGS_BY_NAME[name]
    environ = os.environ if environ is None else environ
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return "" if setting.parse is parse_path else setting.parse(name, setting.default)
    return setting.parse(name, raw)


def field_variable(field: str) -> str:
    """The variable that overrides the configuration field ``field`` (``n_hidden`` →
    ``RNNCTX_N_HIDDEN``)."""
    return PREFIX + field.upper()


def variables_table(field_rows: list[tuple[str, str, str, str]]) -> str:
    """A Markdown table of every variable: the configuration fields first, then the settings.

    Args:
        field_rows: ``(field, type name, default, meaning)`` per configuration field.
    """
    lines = ["| variable | kind | default | what it does |", "| --- | --- | --- | --- |"]
    for field, type_name, default, meaning in field_rows:
        lines.append(f"| `{field_variable(field)}` | configuration ({type_name}) | "
                     f"`{default}` | {meaning} |")
    for setting in PROCESS_SETTINGS:
        lines.append(f"| `{setting.name}` | process setting | `{setting.default}` | "
                     f"{setting.meaning} |")
    return "\n".join(lines)
