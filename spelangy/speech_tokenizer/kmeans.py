# k-means in numpy: k-means++ seeding and Lloyd iterations, deterministic given a seed.
from __future__ import annotations

import numpy as np

_BLOCK = 8192  # rows per distance block: bounds memory at _BLOCK x K floats


def nearest(x: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Index of the nearest centroid for each row of `x` (ties: the lowest index)."""
    x = np.asarray(x, dtype=np.float32)
    c = np.asarray(centroids, dtype=np.float32)
    c_sq = (c * c).sum(axis=1)
    out = np.empty(len(x), dtype=np.int32)
    for b in range(0, len(x), _BLOCK):
        block = x[b:b + _BLOCK]
        # ||x - c||^2 without the ||x||^2 term, which does not change the argmin.
        out[b:b + _BLOCK] = np.argmin(c_sq[None, :] - 2.0 * block @ c.T, axis=1)
    return out


def _sq_dist_to(x: np.ndarray, center: np.ndarray) -> np.ndarray:
    d = x - center[None, :]
    return np.einsum("ij,ij->i", d, d)


def kmeans_plus_plus(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding: each new center drawn with probability proportional to D(x)^2."""
    n = len(x)
    centers = np.empty((k, x.shape[1]), dtype=np.float64)
    centers[0] = x[rng.integers(n)]
    dist = _sq_dist_to(x, centers[0])
    for j in range(1, k):
        total = dist.sum()
        # All points already coincide with a center: any point is as good as another.
        idx = int(rng.integers(n)) if total <= 0 else int(
            min(np.searchsorted(np.cumsum(dist), rng.random() * total, side="right"), n - 1))
        centers[j] = x[idx]
        dist = np.minimum(dist, _sq_dist_to(x, centers[j]))
    return centers


def kmeans(x: np.ndarray, k: int, *, seed: int = 0, num_iters: int = 25,
           tol: float = 1e-6) -> np.ndarray:
    """Cluster the rows of `x` [N, D] into `k` centroids [k, D] (float32).

    Lloyd iterations stop after `num_iters` or when the mean squared distance improves by
    less than `tol` (relative). A cluster that empties is re-seeded with the point farthest
    from its centroid, so every code stays in use.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or len(x) < k:
        raise ValueError(f"kmeans needs at least k={k} rows of shape [N, D], got {x.shape}")
    rng = np.random.default_rng(seed)
    centers = kmeans_plus_plus(x, k, rng)
    previous = np.inf
    for _ in range(num_iters):
        codes = nearest(x, centers)
        order = np.argsort(codes, kind="stable")
        counts = np.bincount(codes, minlength=k)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        used = counts > 0
        sums = np.add.reduceat(x[order], starts[used], axis=0)
        centers[used] = sums / counts[used, None]
        residual = ((x - centers[codes]) ** 2).sum(axis=1)
        for j in np.flatnonzero(~used):
            far = int(np.argmax(residual))
            centers[j] = x[far]
            residual[far] = 0.0
        inertia = residual.mean()
        if previous - inertia <= tol * max(previous, 1e-12) and used.all():
            break
        previous = inertia
    return centers.astype(np.float32)
