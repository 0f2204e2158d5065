"""Fast grid partitioning: seeded region growing, then boundary moves that keep every grid contiguous.

Phases (each move keeps every grid connected; a unit leaves a grid only if the rest stays connected):
1. Seeds: workload-weighted k-means++ on centroids, refined by a few weighted Lloyd steps, so that busy
   areas get more (hence smaller) grids.
2. Growth: the lightest grid takes its nearest free neighbouring unit, until every unit is taken.
3. Balance: moves from a heavier grid to a lighter neighbouring one that lower the sum of squared
   workload deviations (a move of weight w from g to h helps iff W_g - W_h > w), best gain first.
4. Compactness: with every grid kept inside the band ``[(1-b)T, (1+b)T]`` (``b`` = the tolerance, or the
   deviation reached if that is worse), single moves and pairwise swaps that lower the p-median cost
   (squared distance to the grid's centre unit), alternating with re-centring (Lloyd style).
5. Optional kicks (iterated local search, for small instances): merge two neighbouring grids and re-grow
   them; or improve compactness in a much wider band and greedily repair back into the band; or move a few
   random boundary units — each followed by phases 3-4, kept if no worse.
Several restarts with different seeds keep the best (in band first, then lowest cost).
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from .metrics import partition_cost
from .units import Units


@dataclass(frozen=True)
class HeuristicResult:
    assignment: np.ndarray
    centres: np.ndarray
    cost: float
    max_deviation: float
    restarts: int
    runtime_s: float


def _seeds(units: Units, k: int, rng: np.random.Generator) -> list[int]:
    xy = units.centroids
    w = units.workload + 1e-12 * units.workload.sum()
    first = int(rng.choice(units.n, p=w / w.sum()))
    chosen = [first]
    d2 = ((xy - xy[first]) ** 2).sum(axis=1)
    for _ in range(1, k):
        p = w * d2
        if p.sum() <= 0:
            p = np.where(np.isin(np.arange(units.n), chosen), 0.0, 1.0)
        nxt = int(rng.choice(units.n, p=p / p.sum()))
        chosen.append(nxt)
        d2 = np.minimum(d2, ((xy - xy[nxt]) ** 2).sum(axis=1))
    centres = xy[chosen].copy()
    for _ in range(5):
        lab = np.argmin(((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)
        for g in range(k):
            m = lab == g
            if m.any():
                centres[g] = (w[m, None] * xy[m]).sum(axis=0) / w[m].sum()
    seeds: list[int] = []
    for g in range(k):
        order = np.argsort(((xy - centres[g]) ** 2).sum(axis=1))
        seeds.append(int(next(i for i in order if i not in seeds)))
    return seeds


class _Search:
    """Mutable state of one run; plain Python lists because the inner loops are scalar."""

    def __init__(self, units: Units, k: int, tol: float) -> None:
        self.k = k
        self.nbrs = units.neighbours()
        self.w = units.workload.tolist()
        self.a = units.area.tolist()
        self.x = units.centroids[:, 0].tolist()
        self.y = units.centroids[:, 1].tolist()
        self.units = units
        self.target = float(units.workload.sum()) / k
        self.tol = tol
        self.assign: list[int] = [-1] * units.n
        self.W = [0.0] * k
        self.size = [0] * k
        self.centre: list[int] = [0] * k

    def d2(self, i: int, j: int) -> float:
        dx = self.x[i] - self.x[j]
        dy = self.y[i] - self.y[j]
        return dx * dx + dy * dy

    def grow(self, seeds: list[int]) -> None:
        heaps: list[list[tuple[float, int]]] = [[] for _ in range(self.k)]
        for g, s in enumerate(seeds):
            self._take(s, g)
            self.centre[g] = s
            for v in self.nbrs[s]:
                heapq.heappush(heaps[g], (self.d2(v, s), v))
        active = [(self.W[g], g) for g in range(self.k)]
        heapq.heapify(active)
        left = self.units.n - self.k
        while left and active:
            _, g = heapq.heappop(active)
            h = heaps[g]
            while h and self.assign[h[0][1]] != -1:
                heapq.heappop(h)
            if not h:
                continue  # enclosed: this grid stops growing; balancing moves fix it later
            _, u = heapq.heappop(h)
            self._take(u, g)
            left -= 1
            s = self.centre[g]
            for v in self.nbrs[u]:
                if self.assign[v] == -1:
                    heapq.heappush(h, (self.d2(v, s), v))
            heapq.heappush(active, (self.W[g], g))

    def _take(self, u: int, g: int) -> None:
        self.assign[u] = g
        self.W[g] += self.w[u]
        self.size[g] += 1

    def move(self, u: int, h: int) -> None:
        g = self.assign[u]
        self.W[g] -= self.w[u]
        self.size[g] -= 1
        self._take(u, h)

    def can_leave(self, u: int) -> bool:
        """Would u's grid stay connected (and non-empty) without u? Local BFS with early exit."""
        g = self.assign[u]
        if self.size[g] <= 1:
            return False
        nb = [v for v in self.nbrs[u] if self.assign[v] == g]
        if len(nb) <= 1:
            return True
        targets = set(nb[1:])
        seen = {u, nb[0]}
        q = deque([nb[0]])
        assign, nbrs = self.assign, self.nbrs
        while q:
            x = q.popleft()
            for y in nbrs[x]:
                if y not in seen and assign[y] == g:
                    if y in targets:
                        targets.discard(y)
                        if not targets:
                            return True
                    seen.add(y)
                    q.append(y)
        return False

    def boundary_pairs(self):
        """(u, h) for every unit u and every other grid h adjacent to it."""
        assign = self.assign
        for u, nb in enumerate(self.nbrs):
            g = assign[u]
            seen = None
            for v in nb:
                h = assign[v]
                if h != g and h != seen:
                    seen = h
                    yield u, g, h

    def balance(self, max_passes: int = 500) -> None:
        w, W = self.w, self.W
        for _ in range(max_passes):
            cands = []
            for u, g, h in self.boundary_pairs():
                gain = w[u] * (W[g] - W[h] - w[u])
                if gain > 0:
                    cands.append((-gain, u, h))
            if not cands:
                return
            cands.sort()
            moved = 0
            for _neg, u, h in cands:
                g = self.assign[u]
                if g == h or W[g] - W[h] - w[u] <= 0:
                    continue
                if any(self.assign[v] == h for v in self.nbrs[u]) and self.can_leave(u):
                    self.move(u, h)
                    moved += 1
            if not moved:
                return

    def recentre(self) -> float:
        assign = np.asarray(self.assign)
        cost, centres = partition_cost(self.units, assign, self.k)
        self.centre = centres.tolist()
        return cost

    def band(self) -> tuple[float, float]:
        dev = max(abs(x - self.target) for x in self.W) / self.target
        b = max(self.tol, dev) + 1e-12
        return (1 - b) * self.target, (1 + b) * self.target

    def compact(self, max_rounds: int = 60, swaps: bool = True) -> float:
        cost = self.recentre()
        for _ in range(max_rounds):
            lo, hi = self.band()
            improved = self._single_moves(lo, hi)
            if swaps:
                improved += self._swaps(lo, hi)
            new_cost = self.recentre()
            if not improved or new_cost >= cost - 1e-12 * max(1.0, abs(cost)):
                return min(cost, new_cost)
            cost = new_cost
        return cost

    def _delta(self, u: int, g: int, h: int) -> float:
        return self.a[u] * (self.d2(u, self.centre[h]) - self.d2(u, self.centre[g]))

    def _single_moves(self, lo: float, hi: float) -> int:
        w, W, centre = self.w, self.W, self.centre
        cands = []
        for u, g, h in self.boundary_pairs():
            if u == centre[g]:
                continue
            d = self._delta(u, g, h)
            if d < 0:
                cands.append((d, u, h))
        cands.sort()
        moved = 0
        for _d, u, h in cands:
            g = self.assign[u]
            if g == h or self._delta(u, g, h) >= 0:
                continue
            if W[g] - w[u] < lo or W[h] + w[u] > hi:
                continue
            if any(self.assign[v] == h for v in self.nbrs[u]) and self.can_leave(u):
                self.move(u, h)
                moved += 1
        return moved

    def _swaps(self, lo: float, hi: float) -> int:
        """Pairs of boundary units exchanged between two grids when one move alone breaks the band."""
        w, W, centre = self.w, self.W, self.centre
        by_pair: dict[tuple[int, int], list[tuple[float, int]]] = {}
        for u, g, h in self.boundary_pairs():
            if u != centre[g]:
                by_pair.setdefault((g, h), []).append((self._delta(u, g, h), u))
        done = 0
        for (g, h), outs in by_pair.items():
            if g > h:
                continue
            ins = by_pair.get((h, g))
            if not ins:
                continue
            outs.sort()
            ins.sort()
            for du, u in outs[:8]:
                if self.assign[u] != g:
                    continue
                for dv, v in ins[:8]:
                    if du + dv >= 0:
                        break
                    if self.assign[v] != h:
                        continue
                    nwg = W[g] - w[u] + w[v]
                    nwh = W[h] + w[u] - w[v]
                    if not (lo <= nwg <= hi and lo <= nwh <= hi):
                        continue
                    if not self.can_leave(u) or not any(self.assign[z] == h for z in self.nbrs[u]):
                        break
                    self.move(u, h)
                    if self.can_leave(v) and any(self.assign[z] == g for z in self.nbrs[v]):
                        self.move(v, g)
                        done += 1
                        break
                    self.move(u, g)  # undo
                    break
        return done

    def perturb(self, rng: np.random.Generator, strength: int) -> None:
        """Kick: move a few random boundary units of one grid into a neighbouring grid, ignoring balance."""
        pairs = list(self.boundary_pairs())
        if not pairs:
            return
        _u, g, h = pairs[int(rng.integers(len(pairs)))]
        for _ in range(strength):
            cand = [u for u, gg, hh in self.boundary_pairs() if gg == g and hh == h and u != self.centre[g]]
            if not cand:
                return
            u = cand[int(rng.integers(len(cand)))]
            if self.can_leave(u):
                self.move(u, h)

    def merge_split(self, rng: np.random.Generator) -> None:
        """Kick: merge two neighbouring grids and re-grow them from two random seeds (lightest first)."""
        pairs = list(self.boundary_pairs())
        if not pairs:
            return
        _u, g, h = pairs[int(rng.integers(len(pairs)))]
        region = [i for i, a in enumerate(self.assign) if a in (g, h)]
        s1, s2 = (int(v) for v in rng.choice(region, size=2, replace=False))
        for i in region:
            self.assign[i] = -2
        self.W[g] = self.W[h] = 0.0
        self.size[g] = self.size[h] = 0
        heaps: dict[int, list[tuple[float, int]]] = {g: [], h: []}
        for grid, s in ((g, s1), (h, s2)):
            self._take(s, grid)
            self.centre[grid] = s
            for v in self.nbrs[s]:
                heapq.heappush(heaps[grid], (self.d2(v, s), v))
        left = len(region) - 2
        while left:
            order = (g, h) if self.W[g] <= self.W[h] else (h, g)
            for grid in order:
                hp = heaps[grid]
                while hp and self.assign[hp[0][1]] != -2:
                    heapq.heappop(hp)
                if hp:
                    break
            else:
                break
            _, u = heapq.heappop(hp)
            self._take(u, grid)
            left -= 1
            for v in self.nbrs[u]:
                if self.assign[v] == -2:
                    heapq.heappush(hp, (self.d2(v, self.centre[grid]), v))

    def snapshot(self):
        return list(self.assign), list(self.W), list(self.size), list(self.centre)

    def restore(self, snap) -> None:
        self.assign, self.W, self.size, self.centre = (list(x) for x in snap)

    def relax(self, rng: np.random.Generator) -> None:
        """Kick (strategic oscillation): improve compactness inside a much wider band, then ``repair``."""
        tol = self.tol
        self.tol = tol + float(rng.uniform(0.05, 0.4))
        self.recentre()
        lo, hi = self.band()
        for _ in range(3):
            moved = self._single_moves(lo, hi)
            self.recentre()
            if not moved:
                break
        self.tol = tol
        self.repair()

    def _excess(self, x: float) -> float:
        return max(0.0, abs(x - self.target) - self.tol * self.target)

    def repair(self, max_moves: int | None = None) -> None:
        """Greedy return into the band: each step takes the move that removes the most band excess per
        unit of added cost (moves towards a lighter/heavier neighbour only)."""
        w, W, ex = self.w, self.W, self._excess
        for _ in range(max_moves or len(self.w)):
            if not any(ex(x) > 0 for x in W):
                return
            cands = []
            for u, g, h in self.boundary_pairs():
                if u == self.centre[g]:
                    continue
                gain = ex(W[g]) + ex(W[h]) - ex(W[g] - w[u]) - ex(W[h] + w[u])
                if gain > 1e-15:
                    cands.append((self._delta(u, g, h) / gain, u, h))
            cands.sort()
            for _score, u, h in cands:
                if self.can_leave(u):
                    self.move(u, h)
                    break
            else:
                return

    def deviation(self) -> float:
        return max(abs(x - self.target) for x in self.W) / self.target


def solve_heuristic(
    units: Units,
    k: int,
    tol: float,
    seed: int = 0,
    restarts: int = 1,
    time_limit: float | None = None,
    swaps: bool = True,
    kicks: int = 0,
) -> HeuristicResult:
    """Run ``restarts`` independent searches (stopping early past ``time_limit`` seconds, after at least
    one) and return the best. Preconditions: ``1 <= k <= n``, ``tol >= 0``, adjacency connected."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    best = None
    runs = 0
    for _ in range(max(1, restarts)):
        s = _Search(units, k, tol)
        s.grow(_seeds(units, k, rng))
        s.balance()
        cost = s.compact(swaps=swaps)
        dev = s.deviation()
        if kicks:
            snap, keep = s.snapshot(), (dev > tol + 1e-12, cost if dev <= tol + 1e-12 else dev)
            for _k in range(kicks):
                p = rng.random()
                if p < 0.35:
                    s.merge_split(rng)
                elif p < 0.7:
                    s.relax(rng)
                else:
                    s.perturb(rng, int(rng.integers(1, 4)))
                if s.deviation() > tol:
                    s.repair()
                if s.deviation() > tol:
                    s.balance()
                c2 = s.compact(swaps=swaps)
                d2 = s.deviation()
                k2 = (d2 > tol + 1e-12, c2 if d2 <= tol + 1e-12 else d2)
                if k2 <= keep:
                    snap, keep, cost, dev = s.snapshot(), k2, c2, d2
                else:
                    s.restore(snap)
        key = (dev > tol + 1e-12, cost if dev <= tol + 1e-12 else dev)
        runs += 1
        if best is None or key < best[0]:
            best = (key, list(s.assign), list(s.centre), cost, dev)
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            break
    assert best is not None
    _, assign, centres, cost, dev = best
    return HeuristicResult(
        assignment=np.asarray(assign, dtype=np.int64),
        centres=np.asarray(centres, dtype=np.int64),
        cost=float(cost),
        max_deviation=float(dev),
        restarts=runs,
        runtime_s=time.perf_counter() - t0,
    )
