"""Strongly connected components of a road graph.

A city extract cut out of OSM leaves fragments at its edge (and one-way stubs) from which no route
leads back into the city, or into which none leads. Points snapped onto such a fragment get "no
route" for almost every query; the routable part of a network is its largest strongly connected
component (the convention of OSMnx and of most routing engines).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .graph import RoadGraph


def largest_strong_component(graph: RoadGraph) -> np.ndarray:
    """Boolean mask of the nodes in the largest strongly connected component (all False if empty)."""
    n = graph.n_nodes
    if n == 0:
        return np.zeros(0, dtype=bool)
    adjacency = sp.csr_matrix(
        (np.ones(graph.indices.shape[0], dtype=np.int8), graph.indices, graph.indptr), shape=(n, n)
    )
    _, labels = connected_components(adjacency, directed=True, connection="strong")
    return labels == np.bincount(labels).argmax()
