"""A recurrent classifier as the analyses see it: one value, whatever trained it.

Every analysis of this package (the line attractor, the modifier scores and subspace, timing,
ablation) takes a :class:`Network`: a cell function with its parameters bound, the initial
state, the linear readout and, for analyses that speak of words, an embedding and a
vocabulary. The book's trained model provides one (``TrainedModel.network``); so can a
reader's own JAX RNN, with no configuration, corpus or training code involved::

    net = Network(step=lambda h, x: jnp.tanh(W @ h + U @ x), h0=h0, readout_w=w,
                  embedding=E, vocab=text.Vocab(("<pad>", "<unk>", *words)))
    cloud = analysis.state_cloud(net, tokens=ids, lengths=lengths, labels=labels)
    attractor = analysis.line_attractor(net, cloud)

``step`` is bound once: the analysis kernels are compiled once per step function (the
package's compile cache, :func:`rnnctx_utils._jit.jitted`, keyed by it), so passing the same
``Network`` again compiles nothing new.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np

from rnnctx_utils._types import StepFn

#: ``(split, n_docs)`` -> ``(tokens [n, L] int32, lengths [n], labels [n])``: where a network's
#: analysis documents come from when none are passed (``n_docs`` None: the source's default).
DocumentSource = Callable[[str, int | None], tuple[np.ndarray, np.ndarray, np.ndarray]]


@dataclass(frozen=True, eq=False)
class Network:
    """A recurrent classifier: logit = readout_w · h_T + readout_b, h_{t+1} = step(h_t, x_t).

    step: the cell with its parameters bound; h0: [S] initial state; readout_w: [S];
    readout_b: the readout's bias;
    embedding: [V, n_in] input vector of each token id (None: the analyses that name words
        are unavailable); vocab: a :class:`rnnctx_utils.text.Vocab` (ids 0 and 1 are padding
        and unknown);
    token_valence: [V] a linear baseline's weight per token (e.g. bag-of-words), used to pick
        probe words and word classes; None if there is none;
    cache_dir: a folder where analyses may store their results (None: nothing is cached);
    states_fn, logits_fn: a faster forward pass ``(tokens [B, L], lengths [B]) -> states
        [B, L, S] / logits [B]`` (default: a scan of ``step`` over the embedded tokens);
    documents: the default analysis documents (:data:`DocumentSource`), if any.
    """

    step: StepFn
    h0: np.ndarray
    readout_w: np.ndarray
    readout_b: float = 0.0
    embedding: np.ndarray | None = None
    vocab: Any = None
    token_valence: np.ndarray | None = None
    cache_dir: Path | None = None
    states_fn: Callable[[Any, Any], Any] | None = None
    logits_fn: Callable[[Any, Any], Any] | None = None
    documents: DocumentSource | None = None

    def __post_init__(self) -> None:
        h0 = np.asarray(self.h0)
        w = np.asarray(self.readout_w)
        if h0.ndim != 1 or w.shape != h0.shape:
            raise ValueError(f"Network: h0 and readout_w must be vectors of the state size, got "
                             f"shapes {h0.shape} and {w.shape}")
        object.__setattr__(self, "h0", h0)
        object.__setattr__(self, "readout_w", w)
        object.__setattr__(self, "readout_b", float(self.readout_b))
        if self.embedding is not None:
            embedding = np.asarray(self.embedding)
            if embedding.ndim != 2:
                raise ValueError(f"Network: embedding must be [V, n_in], got {embedding.shape}")
            if self.vocab is not None and len(self.vocab) != embedding.shape[0]:
                raise ValueError(f"Network: the vocabulary has {len(self.vocab)} tokens but "
                                 f"the embedding {embedding.shape[0]} rows")
            object.__setattr__(self, "embedding", embedding)
        if self.token_valence is not None:
            object.__setattr__(self, "token_valence", np.asarray(self.token_valence))

    @property
    def state_size(self) -> int:
        return int(self.h0.shape[0])

    @property
    def n_inputs(self) -> int:
        """Input size n_in (needs the embedding)."""
        return int(self._embedding().shape[1])

    def _embedding(self) -> np.ndarray:
        if self.embedding is None:
            raise ValueError("this Network has no embedding: pass embedding=[V, n_in] to use "
                             "token ids or words")
        return self.embedding

    def token_id(self, word: str) -> int:
        """The id of ``word`` (the unknown token's id when it is not in the vocabulary)."""
        if self.vocab is None:
            raise ValueError("this Network has no vocabulary: pass vocab=text.Vocab(...) to "
                             "analyse words")
        return int(self.vocab.id(word))

    def inputs(self, words: Sequence[str]) -> np.ndarray:
        """Input vectors [len(words), n_in] of ``words``."""
        return self._embedding()[[self.token_id(w) for w in words]]

    def states(self, tokens: Any, lengths: Any) -> np.ndarray:
        """States after each token [B, L, S] of token ids [B, L] with lengths [B] (padded
        positions repeat the last valid state)."""
        if self.states_fn is not None:
            return np.asarray(self.states_fn(tokens, lengths))
        from rnnctx_utils.context import rollout_batch  # noqa: PLC0415

        xs = jnp.asarray(self._embedding()[np.asarray(tokens)])
        return np.asarray(rollout_batch(self.step, jnp.asarray(self.h0), xs,
                                        jnp.asarray(lengths)))

    def logits(self, tokens: Any, lengths: Any) -> np.ndarray:
        """Logits [B] of token ids [B, L] with lengths [B]."""
        if self.logits_fn is not None:
            return np.asarray(self.logits_fn(tokens, lengths))
        return self.readout(self.states(tokens, lengths)[:, -1])

    def readout(self, states: Any) -> np.ndarray:
        """Readout w·h + b of states [..., S] (float64)."""
        return np.asarray(states, np.float64) @ np.asarray(self.readout_w, np.float64) + \
            self.readout_b


def as_network(model: Any) -> Network:
    """``model`` itself if it is a :class:`Network`, else its ``network`` (the book's
    :class:`~rnnctx_utils.experiment.TrainedModel` has one)."""
    if isinstance(model, Network):
        return model
    network = getattr(model, "network", None)
    if not isinstance(network, Network):
        raise TypeError(f"expected a Network (or an object with a .network), got "
                        f"{type(model).__name__}")
    return network
