"""1-D k-means binarisation of contrastive potentials (scikit-learn's KMeans)."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

#: Values beyond this many are subsampled (seeded) before fitting; all are then labelled.
MAX_FIT = 60_000


def kmeans_1d(values: np.ndarray, k: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Cluster scalars into ``k`` groups ordered by centre.

    Returns
    -------
    labels : (N,) int
        0 = lowest centre ... k-1 = highest.
    centres : (k,) float
        Sorted cluster centres.
    """
    v = np.asarray(values, np.float64).ravel()
    if v.size == 0:
        return np.zeros(0, int), np.zeros(k)
    if np.ptp(v) < 1e-9:
        return np.zeros(v.size, int), np.full(k, v[0])
    k = int(min(k, np.unique(v[: MAX_FIT * 4]).size))
    fit = v
    if v.size > MAX_FIT:
        fit = np.random.default_rng(seed).choice(v, MAX_FIT, replace=False)
    # evenly spaced seeds over the robust range: quantile seeds would all sit in a dominant cluster
    lo, hi = np.quantile(fit, (0.02, 0.98))
    if hi - lo < 1e-9:
        lo, hi = fit.min(), fit.max()
    init = np.linspace(lo, hi, k).reshape(-1, 1)
    with warnings.catch_warnings(), threadpool_limits(1):  # tiny 1-D problem: thread pools only cost
        warnings.simplefilter("ignore", ConvergenceWarning)
        km = KMeans(n_clusters=k, init=init, n_init=1, max_iter=100, random_state=seed).fit(fit.reshape(-1, 1))
    order = np.argsort(km.cluster_centers_.ravel())
    centres = km.cluster_centers_.ravel()[order]
    # label every value by its nearest sorted centre (1-D: thresholds at midpoints)
    cuts = (centres[1:] + centres[:-1]) / 2
    return np.searchsorted(cuts, v), centres
