"""Hotspots: Getis-Ord Gi* on a square grid-cell lattice, with false-discovery-rate correction.

Pure: points (lat, lon) in, cells with count, z, pseudo p-value and a significance flag out; no Django.

* The lattice: square cells of ``cell_m`` metres in a local azimuthal-equidistant projection
  (pyproj) centred on the bounds, so a cell is ``cell_m`` wide wherever the jurisdiction is. The
  bounds are given (the jurisdiction's box) or taken from the points; two periods computed with the
  same bounds and cell size share the same cells, which is what the emerging comparison needs.
* The statistic: PySAL's ``esda.G_Local(star=True)`` (Gi*: the cell counts itself) with binary
  queen-contiguity weights of the lattice from ``libpysal.weights.lat2W``, conditional permutation
  inference with a fixed seed (deterministic), one-sided pseudo p-values.
* Multiple testing: every cell is a test, so significance is decided by Benjamini–Hochberg's
  false-discovery-rate threshold over the pseudo p-values (``esda.fdr``), not by p < alpha per cell.
* Emerging: compare this period's result with the previous period's on the same lattice
  (``emerging``): new / intensifying / persistent / diminishing.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from pyproj import Transformer

# Gi* z above this (with an FDR-significant p) is "hot"; below minus it "cold". 0: sign only.
HOT, COLD = "hot", "cold"
NEW, INTENSIFYING, PERSISTENT, DIMINISHING = "new", "intensifying", "persistent", "diminishing"
# A hot cell in both periods counts as intensifying / diminishing when its count changed by this
# share. The count, not z: Gi* z is relative to the period's own mean and spread, so a cluster that
# doubles while the whole city doubles keeps its z — the count is what patrols feel.
TREND_SHARE = 0.10
MAX_CELLS = 250_000  # a lattice larger than this is a configuration error (cell far too small)


class LatticeError(ValueError):
    """The lattice cannot be built (no bounds, or far too many cells)."""


@dataclass(frozen=True)
class Bounds:
    south: float
    west: float
    north: float
    east: float


@dataclass
class Cell:
    row: int
    col: int
    count: int
    z: float
    p: float
    significant: bool
    kind: str | None  # HOT, COLD or None
    ring: list[tuple[float, float]] = field(default_factory=list)  # (lon, lat) corners, closed

    @property
    def key(self) -> str:
        return f"{self.row}:{self.col}"


@dataclass
class Result:
    cells: list[Cell]
    rows: int
    cols: int
    cell_m: float
    fdr_p: float  # the Benjamini–Hochberg threshold used (0 when nothing passed)
    points: int  # points that fell on the lattice

    def significant(self, kind: str | None = None) -> list[Cell]:
        return [c for c in self.cells if c.significant and (kind is None or c.kind == kind)]


class Lattice:
    """Square cells over bounds in a local metric projection; row 0 is the southern row."""

    def __init__(self, bounds: Bounds, cell_m: float) -> None:
        if cell_m <= 0 or not math.isfinite(cell_m):
            raise LatticeError(f"cell size must be positive, not {cell_m!r}")
        lat0 = (bounds.south + bounds.north) / 2
        lon0 = (bounds.west + bounds.east) / 2
        crs = f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m"
        self.fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        self.inv = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        xs, ys = self.fwd.transform(
            [bounds.west, bounds.east, bounds.west, bounds.east],
            [bounds.south, bounds.south, bounds.north, bounds.north],
        )
        self.x0, self.y0 = float(min(xs)), float(min(ys))
        self.cell_m = float(cell_m)
        self.cols = max(1, math.ceil((max(xs) - self.x0) / cell_m))
        self.rows = max(1, math.ceil((max(ys) - self.y0) / cell_m))
        if self.rows * self.cols > MAX_CELLS:
            raise LatticeError(f"{self.rows}×{self.cols} cells of {cell_m:g} m: choose a larger cell size")

    def index(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        """Flat cell index (row * cols + col) per point; -1 off the lattice."""
        x, y = self.fwd.transform(lons, lats)
        col = np.floor((np.asarray(x) - self.x0) / self.cell_m).astype(int)
        row = np.floor((np.asarray(y) - self.y0) / self.cell_m).astype(int)
        ok = (col >= 0) & (col < self.cols) & (row >= 0) & (row < self.rows)
        return np.where(ok, row * self.cols + col, -1)

    def ring(self, row: int, col: int) -> list[tuple[float, float]]:
        x0, y0 = self.x0 + col * self.cell_m, self.y0 + row * self.cell_m
        xs = [x0, x0 + self.cell_m, x0 + self.cell_m, x0, x0]
        ys = [y0, y0, y0 + self.cell_m, y0 + self.cell_m, y0]
        lons, lats = self.inv.transform(xs, ys)
        return [(round(float(a), 7), round(float(b), 7)) for a, b in zip(lons, lats, strict=True)]


def bounds_of(lats: Sequence[float] | np.ndarray, lons: Sequence[float] | np.ndarray) -> Bounds:
    if not len(lats):
        raise LatticeError("no points and no bounds")
    return Bounds(float(min(lats)), float(min(lons)), float(max(lats)), float(max(lons)))


def gi_star(
    lats: Sequence[float],
    lons: Sequence[float],
    *,
    cell_m: float = 250.0,
    bounds: Bounds | None = None,
    alpha: float = 0.05,
    permutations: int = 999,
    seed: int = 12345,
    rings: bool = True,
) -> Result:
    """Gi* hot and cold spots of point counts on a square lattice (see the module docstring)."""
    # Imported here, not at the top: esda/libpysal load pandas, geopandas and scikit-learn (about a
    # second); pages that never compute hotspots should not pay for them.
    import esda
    from libpysal.weights import lat2W

    la, lo = np.asarray(lats, float), np.asarray(lons, float)
    lattice = Lattice(bounds or bounds_of(la, lo), cell_m)
    idx = lattice.index(la, lo) if len(la) else np.array([], int)
    n = lattice.rows * lattice.cols
    counts = np.bincount(idx[idx >= 0], minlength=n).astype(float)
    z = np.zeros(n)
    p = np.ones(n)
    threshold = 0.0
    if n >= 2 and counts.sum() > 0 and counts.std() > 0:
        w = lat2W(lattice.rows, lattice.cols, rook=False)  # queen contiguity, ids row-major
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # esda's notes on star weights / islands
            g = esda.G_Local(
                counts,
                w,
                transform="B",
                permutations=permutations,
                star=True,
                seed=seed,
                n_jobs=1,
                keep_simulations=False,
            )
        z = np.nan_to_num(np.asarray(g.Zs, float))
        p = np.nan_to_num(np.asarray(g.p_sim, float), nan=1.0)
        threshold = float(esda.fdr(p, alpha))
    cells = []
    for i in range(n):
        row, col = divmod(i, lattice.cols)
        sig = bool(threshold > 0 and p[i] <= threshold)
        kind = (HOT if z[i] > 0 else COLD) if sig else None
        cells.append(
            Cell(
                row,
                col,
                int(counts[i]),
                float(z[i]),
                float(p[i]),
                sig,
                kind,
                lattice.ring(row, col) if rings else [],
            )
        )
    return Result(cells, lattice.rows, lattice.cols, lattice.cell_m, threshold, int((idx >= 0).sum()))


def emerging(current: Result, previous: Result) -> dict[str, str]:
    """Cell key → trend for cells hot in either period (both results on the same lattice).

    new: hot now, not before. diminishing: hot before, not now — or hot in both with its count down
    by more than TREND_SHARE. intensifying: hot in both with its count up by more than TREND_SHARE.
    persistent: hot in both otherwise.
    """
    if (current.rows, current.cols, current.cell_m) != (previous.rows, previous.cols, previous.cell_m):
        raise LatticeError("the two periods are on different lattices")
    before = {c.key: c for c in previous.cells if c.kind == HOT}
    now = {c.key: c for c in current.cells if c.kind == HOT}
    out: dict[str, str] = {}
    for key, cell in now.items():
        old = before.get(key)
        if old is None:
            out[key] = NEW
        elif cell.count > old.count * (1 + TREND_SHARE):
            out[key] = INTENSIFYING
        elif cell.count < old.count * (1 - TREND_SHARE):
            out[key] = DIMINISHING
        else:
            out[key] = PERSISTENT
    for key in before.keys() - now.keys():
        out[key] = DIMINISHING
    return out
