"""Settings of the toy experiment: the authors' recipe, the book's and the fast schedule."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ToySettings:
    """Data, model and optimiser of the toy experiment (defaults: the authors' recipe).

    lr(step) = learning_rate · lr_decay^step. ``n_steps`` optimisation steps on batches of
    ``batch_size`` sequences drawn (with reshuffling every epoch) from ``n_train`` fixed
    training sequences of ``seq_len`` tokens.
    """

    n_hidden: int = 100
    n_train: int = 100_000
    seq_len: int = 50
    update_bias: float = 0.5
    state_noise: float = 0.003
    batch_size: int = 128
    n_steps: int = 40_000
    learning_rate: float = 0.04
    lr_decay: float = 0.99995
    adam_eps: float = 0.1
    grad_clip: float = 10.0
    l2: float = 1e-4
    seed: int = 0

    def replace(self, **changes: Any) -> ToySettings:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict view (JSON serialisable)."""
        return dataclasses.asdict(self)

    def compressed(self, n_steps: int) -> ToySettings:
        """The same schedule squeezed into ``n_steps``: equal first and last learning rates.

        lr_decay' = lr_decay^(n_steps_authors / n_steps), so lr falls by the same factor
        (0.99995^40000 ≈ 0.135) over the shorter run.
        """
        decay = float(self.lr_decay ** (self.n_steps / n_steps))
        return self.replace(n_steps=n_steps, lr_decay=decay)


AUTHORS_SETTINGS = ToySettings()
# The book's schedule: the authors' recipe compressed to BOOK_STEPS steps (the chapter gives
# the timing that set it).
BOOK_STEPS = 2_000
# The fast schedule (tests, RNNCTX_FAST=1): a 32-unit GRU on sequences of 25 tokens, about
# 15 s on two CPU cores; its spectrum already shows the line attractor and the "not" pair.
FAST_SETTINGS = ToySettings(n_hidden=32, n_train=20_000, seq_len=25, batch_size=64).compressed(
    2_000)


def book_settings(fast: bool = False) -> ToySettings:
    """The schedule the chapter trains: ``fast`` is the seconds-long test version."""
    return FAST_SETTINGS if fast else AUTHORS_SETTINGS.compressed(BOOK_STEPS)
