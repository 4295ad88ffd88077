"""The states a network visits on documents: the state cloud every analysis starts from (P1 M1).

>>> cloud = states.state_cloud(network, tokens=tokens, lengths=lengths, labels=labels)
>>> cloud.states                   # [n_states, S] every valid state, document by document
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnctx_utils import progress
from rnnctx_utils.network import as_network


@dataclass(frozen=True)
class StateCloud:
    """Every state the network visits on a set of test documents (P1 M1).

    states: [n_states, S] all valid states h_1 … h_T of every document, concatenated.
    doc_of_state: [n_states] the document each state belongs to.
    step_of_state: [n_states] its position t (0 = after the first token).
    final_states: [n_docs, S] the state after each document's last token.
    logits: [n_docs] the readout of the final states; labels: [n_docs] true labels (0/1).
    tokens: [n_docs, L] int32 token ids; lengths: [n_docs].
    h0: [S] the trained initial state.
    """

    states: np.ndarray
    doc_of_state: np.ndarray
    step_of_state: np.ndarray
    final_states: np.ndarray
    logits: np.ndarray
    labels: np.ndarray
    tokens: np.ndarray
    lengths: np.ndarray
    h0: np.ndarray

    @property
    def n_docs(self) -> int:
        return int(self.lengths.shape[0])

    @property
    def accuracy(self) -> float:
        """Accuracy of the RNN on these documents (nan without labels)."""
        if np.any(self.labels < 0):
            return float("nan")
        return float(np.mean((self.logits > 0) == (self.labels == 1)))


def state_cloud(model: Any, n_docs: int | None = None, *, batch_size: int = 250,
                split: str = "test", tokens: Any = None, lengths: Any = None,
                labels: Any = None) -> StateCloud:
    """Run the network on documents and keep every state.

    Args:
        model: a :class:`~rnnctx_utils.network.Network` (or the book's ``TrainedModel``).
        n_docs: documents to keep (default: all those passed, or the network's document
            source's default: ``config.n_analysis_docs`` for the book's model). Empty
            documents are skipped.
        batch_size: documents per forward pass (bounds memory).
        split: without ``tokens``: which of the network's documents, ``"test"`` (the
            validation split when there is no test split) or ``"train"`` (more text for
            statistics that use no labels, such as the modifier scores).
        tokens, lengths, labels: the documents: token ids [n, L], lengths [n], labels [n]
            (0/1; without labels the cloud's accuracy is nan).
    """
    net = as_network(model)
    if tokens is None:
        if net.documents is None:
            raise ValueError("this network has no document source: pass tokens=[n, L] and "
                             "lengths=[n] (and labels=[n]) to state_cloud")
        tokens, lengths, labels = net.documents(split, n_docs)
    elif lengths is None:
        raise ValueError("state_cloud: pass lengths=[n] with tokens=[n, L]")
    tokens, lengths = np.asarray(tokens, np.int32), np.asarray(lengths, np.int32)
    labels = np.full(len(lengths), -1) if labels is None else np.asarray(labels)
    keep = np.flatnonzero(lengths > 0)[:n_docs]
    tokens, lengths, labels = tokens[keep], lengths[keep], labels[keep]
    width = int(lengths.max())
    tokens = tokens[:, :width]
    states, logits = [], []
    with progress.stage(f"running the network over {len(keep):,} {split} documents "
                        f"(up to {width} tokens)"):
        for start in range(0, len(keep), batch_size):
            tok = tokens[start : start + batch_size]
            length = lengths[start : start + batch_size]
            states.append(np.asarray(net.states(tok, length)))
            logits.append(np.asarray(net.logits(tok, length)))
    all_states = np.concatenate(states)  # [n_docs, L, S]
    mask = np.arange(width)[None, :] < lengths[:, None]
    doc_of_state, step_of_state = np.nonzero(mask)
    return StateCloud(
        states=all_states[mask],
        doc_of_state=doc_of_state,
        step_of_state=step_of_state,
        final_states=all_states[np.arange(len(keep)), lengths - 1],
        logits=np.concatenate(logits),
        labels=labels,
        tokens=tokens,
        lengths=lengths,
        h0=np.asarray(net.h0),
    )


def readout_values(model: Any, states: np.ndarray) -> np.ndarray:
    """Readout w·h + b of states [n, S] -> [n] (``model``: a Network or the book's model)."""
    return as_network(model).readout(states)

