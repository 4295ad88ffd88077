"""The book's single configuration: one frozen dataclass, environment overrides, a digest.

Every chapter calls :func:`config` once. Values come, in increasing priority, from

1. the dataclass defaults,
2. the per-corpus defaults in :data:`CORPUS_DEFAULTS` (sizes chosen for a 2-core CPU),
3. the fast test mode (``RNNCTX_FAST=1``), which shrinks everything to seconds,
4. environment variables ``RNNCTX_<FIELD>`` (e.g. ``RNNCTX_CORPUS=imdb``,
   ``RNNCTX_N_HIDDEN=64``),
5. keyword arguments to :func:`config`.

Bad values raise :class:`ConfigError` naming the field and the fix.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from rnnctx_utils import environment
from rnnctx_utils.environment import SettingError

ENV_PREFIX = environment.PREFIX
CELL_NAMES = ("vanilla", "ugrnn", "gru", "lstm")
HUB_CORPORA = ("imdb", "yelp_polarity", "sst2")


class ConfigError(SettingError):
    """A configuration value is invalid; the message names the field and the fix."""


@dataclass(frozen=True)
class Config:
    """Everything that determines a trained model and the analyses run on it.

    Corpus
        corpus: ``"synthetic"`` (offline default), a hub name (``"imdb"``,
            ``"yelp_polarity"``, ``"sst2"``) or a path / glob to local parquet, CSV or JSON files.
        n_train, n_valid, n_test: documents per split (generated count for the synthetic
            corpus, a cap for real corpora; 0 means no cap).
        min_doc_len, max_doc_len: token-length range of synthetic documents.
        vocab_size: vocabulary cap including ``<pad>`` and ``<unk>``.
        min_count: minimum train-split count for a word to enter the vocabulary.
        max_len: documents longer than this are truncated (explicitly, and reported).
        truncate: which ``max_len`` tokens a longer document keeps, ``"last"`` or ``"first"``
            (the RNN only; bag-of-words reads whole documents). Measured on IMDB, where 18% of
            the training reviews are longer than 400 tokens, the last 400 give the GRU 89.18%
            validation accuracy against 88.66% for the first 400 (``benchmarks/truncation.py``):
            reviews tend to end with their verdict.
    Model
        cell: one of ``vanilla``, ``ugrnn``, ``gru``, ``lstm``.
        n_embed, n_hidden: embedding and state sizes.
    Training
        batch_size, n_steps, learning_rate, lr_decay (multiplicative per 1,000 steps),
        grad_clip (global norm), l2 (weight decay on all parameters but biases),
        eval_every (steps between validation passes), seed.
    Analysis
        n_analysis_docs: test documents run for the state clouds (P1 uses about 1,000).
        n_fixed_point_seeds: seeds for the fixed-point finder.
    Mode
        fast: the small test configuration (seconds, not minutes).
    """

    corpus: str = "synthetic"
    n_train: int = 24_000
    n_valid: int = 3_000
    n_test: int = 3_000
    min_doc_len: int = 20
    max_doc_len: int = 80
    vocab_size: int = 20_000
    min_count: int = 1
    max_len: int = 400
    truncate: str = "last"
    cell: str = "gru"
    n_embed: int = 64
    n_hidden: int = 128
    batch_size: int = 64
    n_steps: int = 3_000
    learning_rate: float = 2e-3
    lr_decay: float = 0.5
    grad_clip: float = 1.0
    l2: float = 1e-4
    eval_every: int = 250
    seed: int = 0
    n_analysis_docs: int = 1_000
    n_fixed_point_seeds: int = 1_000
    fast: bool = False

    def __post_init__(self) -> None:
        validate(self)

    @property
    def is_synthetic(self) -> bool:
        """True when the corpus is the built-in synthetic review language (ground truth known)."""
        return self.corpus == "synthetic"

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict view (JSON serialisable)."""
        return dataclasses.asdict(self)

    def describe(self) -> str:
        """One line naming what a chapter was built on: corpus, cell, size, schedule, digest."""
        corpus = ("synthetic review language (planted ground truth)" if self.is_synthetic
                  else self.corpus)
        mode = " [fast test configuration]" if self.fast else ""
        return (f"Built on: {corpus}; {self.cell.upper()} with {self.n_hidden} units, "
                f"{self.n_steps:,} training steps; config digest {self.digest()}{mode}. "
                f"Change the corpus with RNNCTX_CORPUS (see How to use).")

    def digest(self) -> str:
        """Hex SHA-256 of the canonical JSON of every field (16 characters).

        Two configs share a digest exactly when all their fields are equal.
        """
        payload = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def replace(self, **changes: Any) -> Config:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


# Sizes chosen so that the default training fits a few minutes on a 2-core CPU, and the IMDB
# one about 7-12 minutes (see book/how_to_use.md).
CORPUS_DEFAULTS: dict[str, dict[str, Any]] = {
    "synthetic": {},
    "imdb": {
        "n_train": 20_000, "n_valid": 5_000, "n_test": 0, "vocab_size": 20_000, "min_count": 5,
        # 1,500 steps (5 epochs): measured on 18,000 reviews, validation accuracy peaks at
        # step 750 and never gets back to it up to step 4,000 (overfitting); 4,000 steps took
        # 2.7x as long and kept the same step-750 parameters.
        "max_len": 400, "n_embed": 64, "n_hidden": 128, "n_steps": 1_500, "batch_size": 64,
        "learning_rate": 2e-3, "lr_decay": 0.8,
    },
    "yelp_polarity": {
        "n_train": 50_000, "n_valid": 5_000, "n_test": 10_000, "vocab_size": 20_000,
        "min_count": 5, "max_len": 300, "n_embed": 64, "n_hidden": 128, "n_steps": 4_000,
        "learning_rate": 2e-3, "lr_decay": 0.8,
    },
    "sst2": {
        "n_train": 0, "n_valid": 0, "n_test": 0, "vocab_size": 15_000, "min_count": 1,
        "max_len": 80, "n_embed": 64, "n_hidden": 128, "n_steps": 4_000,
        "learning_rate": 2e-3, "lr_decay": 0.8,
    },
}
LOCAL_DEFAULTS: dict[str, Any] = CORPUS_DEFAULTS["imdb"] | {"n_test": 0}


def corpus_defaults(corpus: str) -> dict[str, Any]:
    """The per-corpus defaults for ``corpus`` (a name, a path, or ``split=path`` entries).

    Local copies of a hub corpus get that corpus's defaults when their paths (file or folder
    names) say which it is (``imdb_train.parquet``, ``train=sst2_phrases_train.parquet,...``):
    short SST-2 phrases and long IMDB reviews need different lengths and caps. Any other local
    files get :data:`LOCAL_DEFAULTS` (IMDB-like sizes).
    """
    if corpus in CORPUS_DEFAULTS:
        return dict(CORPUS_DEFAULTS[corpus])
    names = [entry.partition("=")[2] or entry for entry in corpus.split(",")]
    words = {word for name in names for word in re.split(r"[^a-z0-9]+", name.lower())}
    words |= {"yelp_polarity"} if "yelp" in words else set()
    for hub in HUB_CORPORA:
        if hub in words:
            return dict(CORPUS_DEFAULTS[hub])
    return dict(LOCAL_DEFAULTS)


FAST_OVERRIDES: dict[str, Any] = {
    "n_train": 3_000, "n_valid": 500, "n_test": 500, "max_doc_len": 50, "n_hidden": 32,
    "n_embed": 32, "n_steps": 300, "eval_every": 100, "learning_rate": 1e-2,
    "n_analysis_docs": 200, "n_fixed_point_seeds": 200,
}


def _parse(field_type: Any, name: str, raw: str) -> Any:
    """Convert an environment string to the field's type, or raise ConfigError."""
    type_name = field_type if isinstance(field_type, str) else field_type.__name__
    try:
        if type_name == "bool":
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
        if type_name == "int":
            return int(raw.replace("_", ""))
        if type_name == "float":
            return float(raw)
        return raw
    except ValueError:
        raise ConfigError(
            f"{ENV_PREFIX}{name.upper()}={raw!r} is not a valid {type_name}; "
            f"set it to a {type_name} or unset it"
        ) from None


TRUNCATE_ENDS = ("last", "first")


def validate(cfg: Config) -> None:
    """Raise ConfigError for any out-of-range field."""
    if cfg.cell not in CELL_NAMES:
        raise ConfigError(f"unknown cell {cfg.cell!r}; choose one of {', '.join(CELL_NAMES)}")
    if cfg.truncate not in TRUNCATE_ENDS:
        raise ConfigError(f"truncate must be one of {', '.join(TRUNCATE_ENDS)}, got "
                          f"{cfg.truncate!r}")
    if not cfg.corpus:
        raise ConfigError("corpus is empty; use 'synthetic', a hub name or a local file path")
    positive = ("n_embed", "n_hidden", "batch_size", "n_steps", "vocab_size", "max_len",
                "eval_every", "min_doc_len", "max_doc_len", "min_count",
                "n_analysis_docs", "n_fixed_point_seeds")
    for name in positive:
        if getattr(cfg, name) <= 0:
            raise ConfigError(f"{name} must be positive, got {getattr(cfg, name)}")
    for name in ("n_train", "n_valid", "n_test"):
        if getattr(cfg, name) < 0:
            raise ConfigError(f"{name} must be >= 0 (0 means no cap), got {getattr(cfg, name)}")
    if cfg.min_doc_len > cfg.max_doc_len:
        raise ConfigError(
            f"min_doc_len={cfg.min_doc_len} exceeds max_doc_len={cfg.max_doc_len}; swap them"
        )
    if cfg.vocab_size < 3:
        raise ConfigError("vocab_size must be at least 3 (<pad>, <unk> and one word)")
    if not cfg.learning_rate > 0:
        raise ConfigError(f"learning_rate must be positive, got {cfg.learning_rate}")
    if not 0 < cfg.lr_decay <= 1:
        raise ConfigError(f"lr_decay must be in (0, 1], got {cfg.lr_decay}")
    if cfg.grad_clip <= 0 or cfg.l2 < 0:
        raise ConfigError("grad_clip must be positive and l2 non-negative")


def config(env: Mapping[str, str] | None = None, **overrides: Any) -> Config:
    """The configuration for this run.

    Args:
        env: the environment to read ``RNNCTX_*`` variables from (default ``os.environ``).
        **overrides: field values that win over everything else.

    Returns:
        A validated, frozen :class:`Config`.
    """
    env = os.environ if env is None else env
    known = {f.name: f for f in fields(Config)}
    from_env: dict[str, Any] = {}
    for key, raw in env.items():
        if not key.startswith(ENV_PREFIX):
            continue
        if key in environment.SETTINGS_BY_NAME:
            # A process setting: not a field, but its value is checked here too, so that a bad
            # one fails at the first cell of a chapter with the same message everywhere.
            try:
                environment.read(key, env)
            except SettingError as error:
                raise ConfigError(str(error)) from None
            continue
        name = key[len(ENV_PREFIX):].lower()
        if name not in known:
            raise ConfigError(
                f"unknown setting {key}; valid ones are "
                + ", ".join(known_variables())
                + " (How to use lists what each one does)"
            )
        from_env[name] = _parse(known[name].type, name, raw)
    for name in overrides:
        if name not in known:
            raise ConfigError(f"unknown setting {name!r}; valid ones are {', '.join(known)}")
    corpus = overrides.get("corpus", from_env.get("corpus", Config.corpus))
    fast = overrides.get("fast", from_env.get("fast", False))
    values: dict[str, Any] = {}
    values.update(corpus_defaults(corpus))
    if fast:
        values.update(FAST_OVERRIDES)
        if corpus != "synthetic":
            values.update({"n_test": 500, "max_len": 100, "vocab_size": 2_000, "min_count": 1})
    values.update(from_env)
    values.update(overrides)
    return Config(**values)


# One phrase per field, for How to use's table of environment variables (a test checks that
# every field has one).
FIELD_MEANINGS: dict[str, str] = {
    "corpus": "`synthetic`, a hub name (`imdb`, `yelp_polarity`, `sst2`) or local files",
    "n_train": "training documents (a cap for real corpora; 0: no cap)",
    "n_valid": "validation documents (idem)",
    "n_test": "test documents (idem)",
    "min_doc_len": "shortest synthetic document, in tokens",
    "max_doc_len": "longest synthetic document, in tokens",
    "vocab_size": "vocabulary cap, `<pad>` and `<unk>` included",
    "min_count": "training-split count a word needs to enter the vocabulary",
    "max_len": "longer documents are truncated to this many tokens",
    "truncate": "which tokens a longer document keeps: `last` (default) or `first`",
    "cell": "`vanilla`, `ugrnn`, `gru` or `lstm`",
    "n_embed": "embedding size",
    "n_hidden": "state size",
    "batch_size": "documents per training step",
    "n_steps": "training steps",
    "learning_rate": "Adam's initial learning rate",
    "lr_decay": "learning-rate factor per 1,000 steps, in (0, 1]",
    "grad_clip": "global gradient-norm clip",
    "l2": "weight decay on all parameters but biases",
    "eval_every": "steps between validation passes",
    "seed": "seed of corpus splits, initialisation and batches",
    "n_analysis_docs": "test documents run for the state clouds",
    "n_fixed_point_seeds": "seeds of the fixed-point finder",
    "fast": "1 selects the small test configuration (seconds per chapter)",
}


def known_variables() -> list[str]:
    """Every ``RNNCTX_*`` variable :func:`config` accepts: one per field, then the process
    settings of :mod:`rnnctx_utils.environment`."""
    return ([environment.field_variable(f.name) for f in fields(Config)]
            + [setting.name for setting in environment.PROCESS_SETTINGS])


def variables_table() -> str:
    """How to use's Markdown table of every ``RNNCTX_*`` variable, with defaults and meanings
    (the defaults are the synthetic corpus's; other corpora have their own, see
    :data:`CORPUS_DEFAULTS`)."""
    defaults = Config()
    rows = []
    for f in fields(Config):
        type_name = f.type if isinstance(f.type, str) else f.type.__name__
        value = getattr(defaults, f.name)
        shown = str(int(value)) if isinstance(value, bool) else str(value)
        rows.append((f.name, type_name, shown, FIELD_MEANINGS[f.name]))
    return environment.variables_table(rows)
