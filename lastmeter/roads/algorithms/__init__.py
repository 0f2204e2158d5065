"""Road-network engine (pure: numpy/scipy/numba, no Django).

- ``osm`` / ``loaders``: OpenStreetMap (.osm, .osm.gz, .osm.pbf via pyosmium), DIMACS10 and ngraph
  binaries → ``graph.RoadGraph`` (directed CSR, travel seconds, names, classes; ``.npz`` cache).
- ``speeds``: OSM tags → class, speed, allowed directions.
- ``core``: pass-through chains contracted into the search graph.
- ``snapping``: nearest road segment for a lat/lon (grid index).
- ``kernels`` / ``routing``: compiled reverse Dijkstra with early stop (``heap``: 4-ary, lazy), A* from
  one vehicle into a finished search; routes with geometry.
- ``network``: ``RoadNetwork`` (hot-swappable per process) and ``load_network``.
"""
