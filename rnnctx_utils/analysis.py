"""The shared first steps of every analysis chapter, computed the same way everywhere.

Chapters 2–6 all start from the same objects: the states the trained network visits on test
documents (P1 M1), the slow points and exact fixed points of the zero-input map (P1 M2), and
a 1-D coordinate along the resulting line attractor. This module computes them
deterministically from a :class:`~rnnctx_utils.experiment.TrainedModel`, so that every chapter
analyses the same attractor.

>>> cloud = analysis.state_cloud(model)
>>> attractor = analysis.line_attractor(model, cloud)
>>> refs = analysis.reference_points(attractor, 20)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp
import numpy as np

from rnnctx_utils import fixed_points as fp
from rnnctx_utils import progress
from rnnctx_utils.network import as_network

# Slow points: q < 1e-5 keeps points whose speed ‖F(h) − h‖ is below ~4.5e-3 per token,
# slow enough that the state stays put for hundreds of tokens, while still covering the
# readout range of the visited states (tighter tolerances shrink the cloud onto the few
# exact roots; see chapter 2's tolerance sweep and paper.md M5).
SLOW_TOL = 1e-5
EXACT_TOL = 1e-20


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


@dataclass(frozen=True)
class LineAttractor:
    """The slow points and exact fixed points of the zero-input map, ordered along the line.

    slow: converged slow points (q < ``slow.tol``), de-duplicated, outliers removed.
    roots: converged exact fixed points (q < ``roots.tol``, float64), de-duplicated.
    coordinate: :class:`~rnnctx_utils.fixed_points.ManifoldCoordinate` of the slow points
        (sorted by readout, arclength parameterization).
    readout: [n_slow] readout value w·h* + b of each slow point.
    direction: [S] unit vector of the manifold's principal direction (sign: readout grows).
    n_seeds: seeds used; n_outliers: slow points dropped as outliers (reported, never silent).
    visited_readout_range: (min, max) readout over the visited states of the cloud.
    """

    slow: fp.FixedPointResult
    roots: fp.FixedPointResult
    coordinate: Any
    readout: np.ndarray
    direction: np.ndarray
    n_seeds: int
    n_outliers: int
    visited_readout_range: tuple[float, float]

    @property
    def points(self) -> np.ndarray:
        """[n_slow, S] the slow points, sorted along the manifold (by readout)."""
        return self.slow.points[self.coordinate.order]

    @property
    def readout_coverage(self) -> float:
        """Fraction of the visited readout range spanned by the slow points."""
        return readout_coverage(self.readout, self.visited_readout_range)


def readout_coverage(readout: np.ndarray, visited_range: tuple[float, float]) -> float:
    """Fraction of the visited readout interval (low, high) spanned by ``readout`` [n] values
    (clipped to the interval, so points beyond the visited range do not count)."""
    low, high = visited_range
    values = np.asarray(readout, np.float64)
    if values.size == 0:
        return 0.0
    span = min(float(values.max()), high) - max(float(values.min()), low)
    return float(max(span, 0.0) / max(high - low, 1e-12))


def readout_values(model: Any, states: np.ndarray) -> np.ndarray:
    """Readout w·h + b of states [n, S] -> [n] (``model``: a Network or the book's model)."""
    return as_network(model).readout(states)


def line_attractor(
    model: Any,
    cloud: StateCloud,
    *,
    n_seeds: int | None = None,
    slow_tol: float = SLOW_TOL,
    exact_tol: float = EXACT_TOL,
    dedup_radius: float = 1e-3,
    seed: int = 0,
    cache: bool = True,
) -> LineAttractor:
    """Find the line attractor of a trained network (P1 M2).

    Seeds are visited states drawn uniformly from ``cloud`` (``n_seeds``, default
    ``config.n_fixed_point_seeds``), each nudged by a little Gaussian noise so that they are
    not already on a trajectory. The input is zero (P1's x* = 0).

    With ``cache`` (and a model loaded from the cache), the result is stored next to the
    model, keyed by the arguments, the cloud's documents and the source of this module and
    of :mod:`rnnctx_utils.fixed_points`, so chapters 2–6 find it once.
    """
    key = _cache_key(model, "line_attractor", cloud.tokens, cloud.lengths, n_seeds, slow_tol,
                     exact_tol, dedup_radius, seed) if cache else None
    cached = _load_cached(model, key)
    if cached is not None:
        return cached
    n = _seeds(model, n_seeds)
    with progress.stage(f"fixed points: {n:,} seeds, slow points and exact roots"):
        result = _line_attractor(model, cloud, n_seeds, slow_tol, exact_tol, dedup_radius, seed)
    _store_cached(model, key, result)
    return result


#: The modules whose sources and module-level settings enter every analysis cache key: every
#: package module the analyses import, except the training modules (those enter the model's own
#: digest, artifacts.TRAINING_MODULES, and so the path of its analysis cache); checked by
#: tests/test_package_structure.py.
_ANALYSIS_MODULES = (
    "analysis", "fixed_points", "linearize", "context", "modifiers", "position", "network",
    # the shared helpers of fixed_points and linearize, the parts of fixed_points (types,
    # solvers, files), and the methods context re-exports
    "_jit", "_blas", "nearest_points", "fixed_point_types", "fixed_point_solvers",
    "fixed_points_io", "_types", "attractor_geometry", "rollouts", "modifier_scores",
    "modifier_subspace", "timing", "gains", "recovered_fraction",
)


def module_settings() -> dict[str, Any]:
    """The current values of the analysis modules' upper-case settings (``modifiers.CUT_RULE``,
    ``modifiers.MIN_OCCURRENCES``, ...): a reader who changes one at run time must not get a
    result cached under the old value."""
    import importlib  # noqa: PLC0415

    settings = {}
    for name in _ANALYSIS_MODULES:
        module = importlib.import_module(f"rnnctx_utils.{name}")
        for key, value in vars(module).items():
            if key.isupper() and isinstance(value, int | float | str | bool | tuple):
                settings[f"{name}.{key}"] = value
    return settings


#: Fixed-point seeds when neither the caller nor the book's configuration gives a number.
FIXED_POINT_SEEDS = 1000


def _seeds(model: Any, n_seeds: int | None) -> int:
    """``n_seeds``, else the book's configured number (``TrainedModel.config``), else
    :data:`FIXED_POINT_SEEDS`."""
    if n_seeds is not None:
        return n_seeds
    config = getattr(model, "config", None)
    return int(config.n_fixed_point_seeds) if config is not None else FIXED_POINT_SEEDS


def _cache_key(model: Any, name: str, *parts: Any) -> str:
    """Digest of the parts, of the analysis sources (so an edit invalidates the entry) and of
    the analysis modules' settings as they are now (:func:`module_settings`)."""
    import hashlib  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    digest = hashlib.sha256(name.encode())
    package = Path(__file__).resolve().parent
    for module in _ANALYSIS_MODULES:
        digest.update((package / f"{module}.py").read_bytes())
    digest.update(repr(sorted(module_settings().items())).encode())
    for part in parts:
        digest.update(np.ascontiguousarray(part).tobytes() if isinstance(part, np.ndarray)
                      else repr(part).encode())
    return f"{name}-{digest.hexdigest()[:16]}"


def _load_cached(model: Any, key: str | None) -> Any:
    import pickle  # noqa: PLC0415

    folder = as_network(model).cache_dir
    if key is None or folder is None:
        return None
    file = folder / f"{key}.pkl"
    if not file.exists():
        return None
    try:
        with file.open("rb") as handle:
            return pickle.load(handle)  # noqa: S301  (our own cache file)
    except Exception:  # noqa: BLE001  (a damaged entry is recomputed)
        return None


def _store_cached(model: Any, key: str | None, value: Any) -> None:
    import os  # noqa: PLC0415
    import pickle  # noqa: PLC0415

    folder = as_network(model).cache_dir
    if key is None or folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{key}.{os.getpid()}.tmp"
    with tmp.open("wb") as handle:
        pickle.dump(value, handle)
    tmp.replace(folder / f"{key}.pkl")  # atomic: concurrent chapters never read half a file


def _line_attractor(model: Any, cloud: StateCloud, n_seeds: int | None, slow_tol: float,
                    exact_tol: float, dedup_radius: float, seed: int) -> LineAttractor:
    from rnnctx_utils import context  # noqa: PLC0415

    net = as_network(model)
    n_seeds = _seeds(model, n_seeds)
    rng = np.random.default_rng(seed)
    pick = rng.choice(cloud.states.shape[0], size=min(n_seeds, cloud.states.shape[0]),
                      replace=False)
    seeds = cloud.states[pick] + 0.01 * rng.standard_normal((pick.size, cloud.states.shape[1]))
    F = net.step
    slow_all = fp.find_fixed_points(F, seeds, tol=slow_tol, method="slow", n_inputs=net.n_inputs)
    slow = fp.deduplicate(slow_all.subset(slow_all.converged), radius=dedup_radius)
    cleaned = fp.remove_outliers(slow) if len(slow) > 2 else None
    slow = cleaned.result if cleaned is not None else slow
    exact_all = fp.find_fixed_points(F, seeds, tol=exact_tol, method="exact",
                                     n_inputs=net.n_inputs)
    roots = fp.deduplicate(exact_all.subset(exact_all.converged), radius=dedup_radius)
    w = np.asarray(net.readout_w, np.float64)
    coordinate = fp.manifold_coordinate(slow.points, w, net.readout_b)
    visited = readout_values(model, cloud.states)
    direction = np.asarray(context.manifold_direction(jnp.asarray(slow.points), jnp.asarray(w)))
    return LineAttractor(
        slow=slow,
        roots=roots,
        coordinate=coordinate,
        readout=readout_values(model, slow.points),
        direction=direction / np.linalg.norm(direction),
        n_seeds=int(pick.size),
        n_outliers=0 if cleaned is None else cleaned.n_removed,
        visited_readout_range=(float(visited.min()), float(visited.max())),
    )


def reference_points(attractor: LineAttractor, n: int = 20) -> np.ndarray:
    """[n, S] slow points evenly spaced in readout along the line attractor (M5's h_ref).

    Spaced in readout value, not in index, so that a dense cluster of slow points near one
    end does not dominate; picks the slow point nearest to each of ``n`` evenly spaced
    readout values between the 5th and 95th percentile; returned in increasing readout
    (fewer than ``n`` when several targets share their nearest slow point).
    """
    low, high = np.percentile(attractor.readout, [5, 95])
    targets = np.linspace(float(low), float(high), n)
    index = np.unique(np.abs(attractor.readout[None, :] - targets[:, None]).argmin(1))
    # ordered by readout (np.unique sorts by index, which is not an order along the line)
    index = index[np.argsort(attractor.readout[index], kind="stable")]
    return attractor.slow.points[index]


# ---------------------------------------------------------------------------------------------
# Chapter 1: the readout over time for a few sentences


@dataclass(frozen=True)
class ProbeReadout:
    """The readout after every token of one sentence.

    sentence: the raw text; tokens: [T] its tokens (``text.tokenize``); known: [T] bool, token
    in the model's vocabulary (unknown words are read as ``<unk>``); logits: [T] readout
    w·h_t + b after each token; logit_h0: the readout of the initial state h_0.
    """

    sentence: str
    tokens: tuple[str, ...]
    known: np.ndarray
    logits: np.ndarray
    logit_h0: float


def probe_readouts(model: Any, sentences: list[str]) -> list[ProbeReadout]:
    """Run the trained network on each sentence and keep the readout after every token."""
    from rnnctx_utils import text  # noqa: PLC0415

    net = as_network(model)
    out = []
    for sentence in sentences:
        tokens = text.tokenize(sentence)
        ids = np.asarray([net.vocab.encode(tokens)], np.int32)
        states = np.asarray(net.states(ids, np.asarray([len(tokens)], np.int32)))[0]
        out.append(ProbeReadout(
            sentence=sentence,
            tokens=tuple(tokens),
            known=np.asarray([t in net.vocab for t in tokens]),
            logits=net.readout(states),
            logit_h0=float(net.readout(net.h0[None])[0]),
        ))
    return out


# ---------------------------------------------------------------------------------------------
# Chapter 3: principal components of the state cloud (P1 M1)


@dataclass(frozen=True)
class PCA:
    """Principal components of a cloud of states.

    mean: [S]; components: [k, S] orthonormal rows (PC1 first);
    explained_variance_ratio: [k] fraction of the total variance along each component.
    """

    mean: np.ndarray
    components: np.ndarray
    explained_variance_ratio: np.ndarray

    def transform(self, states: np.ndarray) -> np.ndarray:
        """[n, S] -> [n, k] coordinates on the components."""
        return (np.asarray(states, np.float64) - self.mean) @ self.components.T

    def project_direction(self, vector: np.ndarray) -> np.ndarray:
        """A direction [S] (no centring) -> its [k] components."""
        return self.components @ np.asarray(vector, np.float64)

    def cumulative(self, k: int) -> float:
        """Fraction of the variance in the top ``k`` components."""
        return float(self.explained_variance_ratio[:k].sum())


def readout_zero_line(model: Any, components: PCA, pc1_range: tuple[float, float]
                      ) -> tuple[np.ndarray, np.ndarray]:
    """The line readout = 0 within the PC1–PC2 plane through the cloud's mean.

    A point mean + a·pc1 + b·pc2 has readout c + a·w₁ + b·w₂ with c = w·mean + bias and
    w_i = w·pc_i; solving for b over ``pc1_range`` gives the line. Returns (a [2], b [2]).
    """
    net = as_network(model)
    w = np.asarray(net.readout_w, np.float64)
    c = float(w @ components.mean + net.readout_b)
    w1, w2 = components.project_direction(w)[:2]
    a = np.asarray(pc1_range, np.float64)
    return a, -(c + a * w1) / w2


def pca(states: np.ndarray, n_components: int | None = None) -> PCA:
    """PCA of states [n, S] by SVD of the centred cloud (float64)."""
    x = np.asarray(states, np.float64)
    mean = x.mean(0)
    _, singular, vt = np.linalg.svd(x - mean, full_matrices=False)
    variance = singular**2
    k = vt.shape[0] if n_components is None else n_components
    return PCA(mean, vt[:k], variance[:k] / variance.sum())


def untrained_params(model: Any, seed: int = 0) -> dict[str, Any]:
    """Freshly initialised parameters of the same architecture (the untrained control)."""
    import jax  # noqa: PLC0415

    from rnnctx_utils import models  # noqa: PLC0415

    cfg = model.config
    return models.init_classifier(jax.random.PRNGKey(cfg.seed + 1000 + seed), cfg.cell,
                                  len(model.vocab), cfg.n_embed, cfg.n_hidden)


def states_with_params(params: dict[str, Any], cell_name: str, cloud: StateCloud,
                       *, batch_size: int = 250) -> np.ndarray:
    """Every valid state [n_states, S] of ``cloud``'s documents under other parameters
    (same order as ``cloud.states``)."""
    from rnnctx_utils import models  # noqa: PLC0415

    parts = []
    for start in range(0, cloud.n_docs, batch_size):
        tok = jnp.asarray(cloud.tokens[start : start + batch_size])
        length = jnp.asarray(cloud.lengths[start : start + batch_size])
        parts.append(np.asarray(models.classifier_states(params, cell_name, tok, length)))
    states = np.concatenate(parts)
    mask = np.arange(states.shape[1])[None, :] < cloud.lengths[:, None]
    return states[mask]


# ---------------------------------------------------------------------------------------------
# Chapter 2: the linearized system as a classifier (P1 M3)


def _linearized_rollout_kernel(F: Any, points: Any, offsets: Any, h0: Any, xs: Any,
                               lengths: Any) -> Any:
    import jax  # noqa: PLC0415
    from jax import lax  # noqa: PLC0415

    def one_doc(x_doc: Any, length: Any) -> Any:
        def body(h: Any, inp: Any) -> Any:
            x, t = inp
            nearest = jnp.argmin(jnp.sum((points - h) ** 2, axis=-1))
            h_star = points[nearest]
            zero = jnp.zeros_like(x)
            # F(h*, 0) + J_rec (h − h*) + J_inp x: one Jacobian-vector product.
            _, tangent = jax.jvp(F, (h_star, zero), (h - h_star, x))
            h_next = h_star + offsets[nearest] + tangent
            h_next = jnp.where(t < length, h_next, h)  # padding: keep the last state
            return h_next, None

        steps = jnp.arange(x_doc.shape[0])
        final, _ = lax.scan(body, h0, (x_doc, steps))
        return final

    return jax.vmap(one_doc)(xs, lengths)


@dataclass(frozen=True)
class LinearizedAccuracy:
    """How well the linearized system classifies (see :func:`linearized_accuracy`).

    logits_linear: [n_docs] readout of the linearized system's final state;
    logits_rnn: [n_docs] the RNN's; labels: [n_docs].
    agreement: fraction of documents where the two readouts have the same sign;
    accuracy_linear, accuracy_rnn: accuracies against the labels.
    """

    logits_linear: np.ndarray
    logits_rnn: np.ndarray
    labels: np.ndarray
    agreement: float
    accuracy_linear: float
    accuracy_rnn: float


def linearized_accuracy(model: Any, attractor: LineAttractor, cloud: StateCloud,
                        *, batch_size: int = 100) -> LinearizedAccuracy:
    """Classify the cloud's documents with the linearized dynamics *[ours]*.

    At every token the state is advanced by the first-order map around the slow point h*
    nearest to the *current linearized* state: h_{t+1} = F(h*, 0) + J_rec(h*)(h_t − h*) +
    J_inp(h*) x_t (the offset F(h*, 0) − h* is kept because h* is only a slow point). The
    trajectory never sees the nonlinear network after h_0, so errors can accumulate.
    """
    import jax  # noqa: PLC0415

    from rnnctx_utils import linearize  # noqa: PLC0415

    net = as_network(model)
    F = net.step
    points = np.asarray(attractor.slow.points, np.float32)
    offsets = np.asarray(jax.vmap(lambda h: F(h, jnp.zeros(net.n_inputs)))(
        jnp.asarray(points))) - points
    run = linearize.jitted(_linearized_rollout_kernel, F)
    h0 = jnp.asarray(net.h0)
    embedding = jnp.asarray(net.embedding)
    finals = []
    for start in range(0, cloud.n_docs, batch_size):
        tok = jnp.asarray(cloud.tokens[start : start + batch_size])
        xs = embedding[tok]
        finals.append(np.asarray(run(jnp.asarray(points), jnp.asarray(offsets, jnp.float32), h0,
                                     xs, jnp.asarray(cloud.lengths[start : start + batch_size]))))
    logits_linear = net.readout(np.concatenate(finals))
    positive = cloud.labels == 1
    return LinearizedAccuracy(
        logits_linear=logits_linear,
        logits_rnn=cloud.logits,
        labels=cloud.labels,
        agreement=float(np.mean((logits_linear > 0) == (cloud.logits > 0))),
        accuracy_linear=float(np.mean((logits_linear > 0) == positive)),
        accuracy_rnn=float(np.mean((cloud.logits > 0) == positive)),
    )


def trajectory_transitions(model: Any, cloud: StateCloud, max_transitions: int | None = None,
                           seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(states before each token [n, S], the token's embedding [n, E]) along real trajectories.

    The first transition of each document starts at h_0. ``max_transitions`` subsamples
    uniformly (fixed seed).
    """
    before = np.concatenate([cloud.h0[None], cloud.states[:-1]])
    first = cloud.step_of_state == 0
    before[first] = cloud.h0
    ids = cloud.tokens[cloud.doc_of_state, cloud.step_of_state]
    inputs = np.asarray(as_network(model).embedding)[ids]
    if max_transitions is not None and before.shape[0] > max_transitions:
        pick = np.sort(np.random.default_rng(seed).choice(before.shape[0], max_transitions,
                                                          replace=False))
        before, inputs = before[pick], inputs[pick]
    return before, inputs


# ---------------------------------------------------------------------------------------------
# Chapter 3: eigenmodes along the line attractor (P1 M4)


@dataclass(frozen=True)
class AttractorModes:
    """Eigenmodes of J_rec at points along the line attractor.

    points: [n, S] expansion points (slow points sorted by readout); readout: [n];
    eigenvalues: [n, k] complex sorted by |λ|; time_constants: [n, k] tokens;
    right_top: [n, S] real part of r_1, sign chosen so that r_1·w > 0;
    left_top: [n, S] real part of l_1 (l_1·r_1 = 1 with the same sign convention);
    input_jacobians: [n, S, E] J_inp at (h*, 0).
    """

    points: np.ndarray
    readout: np.ndarray
    eigenvalues: np.ndarray
    time_constants: np.ndarray
    right_top: np.ndarray
    left_top: np.ndarray
    input_jacobians: np.ndarray


def attractor_modes(model: Any, attractor: LineAttractor, n_points: int | None = 50,
                    top_k: int | None = None) -> AttractorModes:
    """Jacobians and eigenmodes at ``n_points`` slow points evenly spaced in readout (all
    slow points when None); ``top_k`` slowest modes kept (all when None)."""
    from rnnctx_utils import linearize  # noqa: PLC0415

    points = (attractor.points if n_points is None
              else reference_points(attractor, n_points))
    net = as_network(model)
    F, n_in = net.step, net.n_inputs
    jac = linearize.recurrent_jacobians(F, points, None, n_inputs=n_in, float64=True)
    modes = linearize.eigenmodes(jac, top_k=top_k)
    right = np.real(modes.right[:, :, 0])
    left = np.real(modes.left[:, 0, :])
    w = np.asarray(net.readout_w, np.float64)
    sign = np.where(right @ w < 0, -1.0, 1.0)[:, None]
    order = np.argsort(net.readout(points))
    return AttractorModes(
        points=points[order],
        readout=net.readout(points)[order],
        eigenvalues=modes.eigenvalues[order],
        time_constants=modes.time_constants[order],
        right_top=(right * sign)[order],
        left_top=(left * sign)[order],
        input_jacobians=linearize.input_jacobians(F, points, None, n_inputs=n_in,
                                                  float64=True)[order],
    )


@dataclass(frozen=True)
class Alignment:
    """|cos| between vectors and a target, with a random-vector null.

    cosines: [n] |cos(vectors_i, target)|; null: [n_null] |cos| of random unit vectors
    with the target; null_99: its 99th percentile.
    """

    cosines: np.ndarray
    null: np.ndarray
    null_99: float

    @property
    def fraction_above_null(self) -> float:
        """Fraction of the vectors whose |cos| exceeds the null's 99th percentile."""
        return float(np.mean(self.cosines > self.null_99))


def alignment(vectors: np.ndarray, target: np.ndarray, *, n_null: int = 10_000,
              seed: int = 0) -> Alignment:
    """|cos| of each of ``vectors`` [n, S] (or [S]) with ``target`` [S], and the null
    distribution of |cos| for random Gaussian directions in S dimensions."""
    v = np.atleast_2d(np.asarray(vectors, np.float64))
    t = np.asarray(target, np.float64)
    t = t / np.linalg.norm(t)
    cosines = np.abs(v @ t) / np.linalg.norm(v, axis=1)
    random = np.random.default_rng(seed).standard_normal((n_null, t.size))
    null = np.abs(random @ t) / np.linalg.norm(random, axis=1)
    return Alignment(cosines, null, float(np.percentile(null, 99)))


@dataclass(frozen=True)
class WordClasses:
    """Words grouped by the bag-of-words weight (P1 M4): ``positive``, ``negative`` (the n
    largest / most negative weights), ``neutral`` (the n smallest |weight|), each a tuple of
    words, and ``weights`` the matching dict word -> BoW weight."""

    positive: tuple[str, ...]
    negative: tuple[str, ...]
    neutral: tuple[str, ...]
    weights: dict[str, float]


def class_size(weights: np.ndarray, *, k: float = 3.0, floor: int = 10, cap: int = 100) -> int:
    """How many words each valence class gets, sized to the corpus: the words whose weight lies
    more than ``k`` scaled median absolute deviations above (below) the median carry the
    valence; the smaller of the two counts, within [``floor``, ``cap``].

    P1 takes 100 per class; on a small lexicon (the synthetic corpus has about 20 valence
    words per sign) most of a top 100 would be neutral words.

    Args:
        weights: [V] bag-of-words weights.
    """
    w = np.asarray(weights, np.float64)
    median = float(np.median(w))
    mad = 1.4826 * float(np.median(np.abs(w - median)))
    n = min(int(np.sum(w > median + k * mad)), int(np.sum(w < median - k * mad)))
    return int(np.clip(n, floor, cap))


def word_classes(model: Any, n: int | None = None, *, min_id: int = 2) -> WordClasses:
    """The ``n`` most positive, most negative and most neutral words of the BoW baseline
    (``<pad>``/``<unk>`` excluded); ``n`` by default from :func:`class_size`."""
    net = as_network(model)
    if net.token_valence is None:
        raise ValueError("word_classes needs the network's token_valence (a linear baseline's "
                         "weight per token)")
    weights = np.asarray(net.token_valence, np.float64)
    ids = np.arange(min_id, weights.size)
    if n is None:
        n = class_size(weights[ids])
    order = ids[np.argsort(weights[ids])]
    neutral = ids[np.argsort(np.abs(weights[ids]))][:n]
    tokens = net.vocab.tokens

    def words(index: np.ndarray) -> tuple[str, ...]:
        return tuple(tokens[i] for i in index)

    positive, negative = order[::-1][:n], order[:n]
    chosen = np.concatenate([positive, negative, neutral])
    return WordClasses(words(positive), words(negative), words(neutral),
                       {tokens[i]: float(weights[i]) for i in chosen})


def input_projections(model: Any, left: np.ndarray, input_jacobian: np.ndarray,
                      words: tuple[str, ...] | list[str]) -> np.ndarray:
    """l_1ᵀ J_inp x_w for each word: how far one token pushes the state along the integrating
    mode. left: [S]; input_jacobian: [S, E]; returns [len(words)]."""
    x = np.asarray(as_network(model).inputs(list(words)), np.float64)
    return x @ (np.asarray(input_jacobian, np.float64).T @ np.asarray(left, np.float64))


# ---------------------------------------------------------------------------------------------
# Chapter 2: small analytic systems (the cartoons of P2's slide)


def cartoon_systems(dt: float = 0.1) -> dict[str, Any]:
    """Three 2-D maps F(h [2], x [1]) -> [2] (Euler steps of a flow, step ``dt``), one per
    cartoon: ``"saddle"`` (ḣ = (h₁ − h₁³, −h₂): a saddle at 0 between two stable nodes at
    (±1, 0)), ``"oscillation"`` (a damped rotation, ḣ = [[−0.2, −1], [1, −0.2]] h: a stable
    spiral at 0), ``"line attractor"`` (ḣ = (0, 0.5 sin h₁ − h₂): every point of the curve
    h₂ = 0.5 sin h₁ is a fixed point). The input x is added to h₁ (a push along the line)."""

    def saddle(h: Any, x: Any) -> Any:
        flow = jnp.stack([h[0] - h[0] ** 3, -h[1]])
        return h + dt * flow + jnp.stack([x[0], 0.0 * x[0]])

    def oscillation(h: Any, x: Any) -> Any:
        a = jnp.array([[-0.2, -1.0], [1.0, -0.2]], h.dtype)
        return h + dt * (a @ h) + jnp.stack([x[0], 0.0 * x[0]])

    def line(h: Any, x: Any) -> Any:
        flow = jnp.stack([0.0 * h[0], 0.5 * jnp.sin(h[0]) - h[1]])
        return h + dt * flow + jnp.stack([x[0], 0.0 * x[0]])

    return {"saddle": saddle, "oscillation": oscillation, "line attractor": line}
