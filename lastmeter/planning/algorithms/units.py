"""Basic units (road segments or blocks) as plain arrays: the input of grid partitioning.

A jurisdiction is ``n`` basic units with
- an adjacency graph (symmetric, no self-loops): two units are adjacent when a patrol can pass from one to
  the other without leaving them (shared block edge, or road segments meeting at an intersection);
- a centroid per unit in a *projected* plane (metres, or any length unit used consistently) — never raw
  lon/lat degrees, because compactness uses Euclidean distances;
- a non-negative workload per unit (see ``workload.combine_workload``);
- optionally an area per unit (defaults to 1 for every unit, i.e. equal-sized cells).

Nothing here imports Django: the planning app's services build a ``Units`` from its models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components


@dataclass(frozen=True, eq=False)
class Units:
    """Validated basic units. Build with ``make_units`` (which checks every precondition).

    ``indptr``/``indices`` are the CSR arrays of the symmetric adjacency (int64), so that algorithms can
    walk neighbours without scipy in their inner loops.
    """

    indptr: np.ndarray
    indices: np.ndarray
    centroids: np.ndarray  # (n, 2) float64, projected coordinates
    workload: np.ndarray  # (n,) float64, >= 0
    area: np.ndarray  # (n,) float64, > 0

    @property
    def n(self) -> int:
        return int(self.workload.shape[0])

    def adjacency(self) -> sp.csr_array:
        """The adjacency as a scipy CSR array with unit weights."""
        data = np.ones(self.indices.shape[0], dtype=np.int8)
        return sp.csr_array((data, self.indices, self.indptr), shape=(self.n, self.n))

    def neighbours(self) -> list[list[int]]:
        """Adjacency lists as plain Python lists (fast to iterate in pure-Python local search)."""
        ip = self.indptr.tolist()
        ix = self.indices.tolist()
        return [ix[ip[i] : ip[i + 1]] for i in range(self.n)]

    def n_components(self) -> int:
        return int(connected_components(self.adjacency(), directed=False)[0])


def make_units(
    adjacency: sp.spmatrix | sp.sparray | np.ndarray,
    centroids: np.ndarray,
    workload: np.ndarray,
    area: np.ndarray | None = None,
) -> Units:
    """Check and normalise basic units.

    Preconditions (a ``ValueError`` with a clear message otherwise): ``adjacency`` is ``n x n``;
    ``centroids`` is ``(n, 2)`` and finite; ``workload`` is ``(n,)``, finite, ``>= 0`` with a positive sum;
    ``area`` (if given) is ``(n,)`` and ``> 0``. The adjacency is symmetrised (an edge given one way counts
    both ways) and self-loops are dropped, so callers may pass a triangular matrix.
    """
    workload = np.asarray(workload, dtype=np.float64).reshape(-1)
    n = workload.shape[0]
    if n == 0:
        raise ValueError("no basic units")
    centroids = np.asarray(centroids, dtype=np.float64)
    if centroids.shape != (n, 2):
        raise ValueError(f"centroids must have shape ({n}, 2), got {centroids.shape}")
    if not np.all(np.isfinite(centroids)):
        raise ValueError("centroids must be finite")
    if not np.all(np.isfinite(workload)) or np.any(workload < 0):
        raise ValueError("workload must be finite and >= 0")
    if workload.sum() <= 0:
        raise ValueError("total workload must be positive")
    if area is None:
        area = np.ones(n)
    area = np.asarray(area, dtype=np.float64).reshape(-1)
    if area.shape != (n,) or not np.all(np.isfinite(area)) or np.any(area <= 0):
        raise ValueError(f"area must be ({n},) and > 0")
    a = sp.csr_array(adjacency)
    if a.shape != (n, n):
        raise ValueError(f"adjacency must be {n}x{n}, got {a.shape}")
    a = (a != 0).astype(np.int8)
    a = ((a + a.T) > 0).astype(np.int8).tocsr()
    a.setdiag(0)
    a.eliminate_zeros()
    a.sort_indices()
    return Units(
        indptr=a.indptr.astype(np.int64),
        indices=a.indices.astype(np.int64),
        centroids=centroids,
        workload=workload,
        area=area,
    )


def lattice_units(
    rows: int, cols: int, workload: np.ndarray | None = None, cell: float = 1.0, queen: bool = False
) -> Units:
    """A ``rows x cols`` lattice of square cells (rook adjacency, or queen with ``queen=True``).

    Unit ``r * cols + c`` is the cell in row ``r``, column ``c``; its centroid is ``(c*cell, r*cell)``
    and its area ``cell**2``. ``workload`` defaults to 1 per cell.
    """
    if rows < 1 or cols < 1:
        raise ValueError("rows and cols must be >= 1")
    idx = np.arange(rows * cols).reshape(rows, cols)
    pairs = [
        np.stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()]),
        np.stack([idx[:-1, :].ravel(), idx[1:, :].ravel()]),
    ]
    if queen:
        pairs.append(np.stack([idx[:-1, :-1].ravel(), idx[1:, 1:].ravel()]))
        pairs.append(np.stack([idx[:-1, 1:].ravel(), idx[1:, :-1].ravel()]))
    e = np.concatenate(pairs, axis=1)
    n = rows * cols
    adj = sp.coo_array((np.ones(e.shape[1], dtype=np.int8), (e[0], e[1])), shape=(n, n))
    cc, rr = np.meshgrid(np.arange(cols), np.arange(rows))
    centroids = np.stack([cc.ravel() * cell, rr.ravel() * cell], axis=1).astype(np.float64)
    if workload is None:
        workload = np.ones(n)
    return make_units(adj, centroids, workload, area=np.full(n, cell * cell))
