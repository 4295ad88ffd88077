"""The line attractor of a network: its slow points and exact fixed points, ordered along the
line (P1 M2), and reference points evenly spaced on it (M5's h_ref).

>>> attractor = attractor_search.line_attractor(network, cloud)
>>> refs = attractor_search.reference_points(attractor, 20)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jax.numpy as jnp
import numpy as np

from rnnctx_utils import fixed_points as fp
from rnnctx_utils import progress
from rnnctx_utils.analysis_cache import cache_key, load_cached, store_cached
from rnnctx_utils.analysis_settings import AttractorSettings
from rnnctx_utils.network import as_network
from rnnctx_utils.states import StateCloud, readout_values


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
    settings: the :class:`~rnnctx_utils.analysis_settings.AttractorSettings` it was found with.
    """

    slow: fp.FixedPointResult
    roots: fp.FixedPointResult
    coordinate: Any
    readout: np.ndarray
    direction: np.ndarray
    n_seeds: int
    n_outliers: int
    visited_readout_range: tuple[float, float]
    settings: AttractorSettings = field(default_factory=AttractorSettings)

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


def line_attractor(
    model: Any,
    cloud: StateCloud,
    *,
    settings: AttractorSettings | None = None,
    cache: bool = True,
) -> LineAttractor:
    """Find the line attractor of a trained network (P1 M2).

    Seeds are visited states drawn uniformly from ``cloud`` (``settings.n_seeds``, default
    ``config.n_fixed_point_seeds``), each nudged by a little Gaussian noise so that they are
    not already on a trajectory. The input is zero (P1's x* = 0).

    With ``cache`` (and a model loaded from the cache), the result is stored next to the
    model, keyed by the settings, the cloud's documents and the analysis sources
    (:mod:`rnnctx_utils.analysis_cache`), so chapters 2–6 find it once.

    Args:
        model: a :class:`~rnnctx_utils.network.Network` (or the book's ``TrainedModel``).
        cloud: its :class:`~rnnctx_utils.states.StateCloud` (the seeds are drawn from it).
        settings: :class:`~rnnctx_utils.analysis_settings.AttractorSettings` (default: the
            book's).
        cache: look the result up in, and store it to, the network's cache folder.
    """
    settings = AttractorSettings() if settings is None else settings
    key = cache_key("line_attractor", cloud.tokens, cloud.lengths, settings) if cache else None
    cached = load_cached(model, key)
    if cached is not None:
        return cached
    n = _seeds(model, settings)
    with progress.stage(f"fixed points: {n:,} seeds, slow points and exact roots"):
        result = _line_attractor(model, cloud, settings)
    store_cached(model, key, result)
    return result


def _seeds(model: Any, settings: AttractorSettings) -> int:
    """``settings.n_seeds``, else the book's configured number (``TrainedModel.config``), else
    ``settings.fallback_seeds``."""
    if settings.n_seeds is not None:
        return settings.n_seeds
    config = getattr(model, "config", None)
    return int(config.n_fixed_point_seeds) if config is not None else settings.fallback_seeds


def _line_attractor(model: Any, cloud: StateCloud, settings: AttractorSettings) -> LineAttractor:
    from rnnctx_utils import context  # noqa: PLC0415

    net = as_network(model)
    n_seeds = _seeds(model, settings)
    rng = np.random.default_rng(settings.seed)
    pick = rng.choice(cloud.states.shape[0], size=min(n_seeds, cloud.states.shape[0]),
                      replace=False)
    seeds = cloud.states[pick] + 0.01 * rng.standard_normal((pick.size, cloud.states.shape[1]))
    F = net.step
    slow_all = fp.find_fixed_points(F, seeds, tol=settings.slow_tol, method="slow",
                                    n_inputs=net.n_inputs)
    slow = fp.deduplicate(slow_all.subset(slow_all.converged), radius=settings.dedup_radius)
    cleaned = fp.remove_outliers(slow) if len(slow) > 2 else None
    slow = cleaned.result if cleaned is not None else slow
    exact_all = fp.find_fixed_points(F, seeds, tol=settings.exact_tol, method="exact",
                                     n_inputs=net.n_inputs)
    roots = fp.deduplicate(exact_all.subset(exact_all.converged), radius=settings.dedup_radius)
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
        settings=settings,
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
