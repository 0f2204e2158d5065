"""Compiled (numba) parts of the fleet: placing units, and the whole nearest-unit query in one call.

One Python→numba call per query matters: with 5,000 units the search itself settles a few hundred
nodes (~20 µs), so numpy glue (masks, crow-flies top-K, per-unit checks) would otherwise dominate.
``fleet_query`` filters units, picks the crow-flies top-K, finds units on the incident's own chain,
runs ``roads.algorithms.kernels.nearest_targets`` (reverse Dijkstra until K units are final), times
the crow-flies top-K units missing from the answer with ``ball_astar`` (a goal-directed search from
each of them into the settled ball, up to a cap), ranks by straight line, and assembles the routes.

Per-unit storage (arrays indexed by slot; ``_PER`` = 2 entries per slot):
entries (``entry_*``) are the unit's departure hooks linked into per-core-node lists; chain positions
(``pchain``/``poff``/``pe``/``ps``) say where on which chain the unit stands, for each direction.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from lastmeter.roads.algorithms.core import hook_arrays
from lastmeter.roads.algorithms.geo import EARTH_RADIUS_M
from lastmeter.roads.algorithms.kernels import ball_astar, nearest_targets, reset_nodes
from lastmeter.roads.algorithms.routing import assemble_core

PER = 2


@njit(cache=True, nogil=True)
def unplace(slot, node_head, entry_next, entry_node, pchain):
    """Unlink a unit's entries from the per-node lists (cost: units sharing that node)."""
    for e in range(PER * slot, PER * slot + PER):
        node = entry_node[e]
        pchain[e] = -1
        if node < 0:
            continue
        if node_head[node] == e:
            node_head[node] = entry_next[e]
        else:
            p = node_head[node]
            while entry_next[p] != e:
                p = entry_next[p]
            entry_next[p] = entry_next[e]
        entry_node[e] = -1
        entry_next[e] = -1


@njit(cache=True, nogil=True)
def place(
    slot, u, v, t, fwd, bwd,
    core_of, edge_chain, edge_off, seconds, chain_start, chain_end, chain_total,
    node_head, entry_next, entry_node, entry_cost, entry_e, entry_s, pchain, poff, pe, ps,
):  # fmt: skip
    """Move a unit to snapped position (u, v, t, fwd, bwd): unlink old entries, link new hooks.

    Returns the number of departure hooks (0: the position cannot be left, e.g. a one-way dead end).
    """
    unplace(slot, node_head, entry_next, entry_node, pchain)
    n, nodes, costs, es, ss, pc, po = hook_arrays(
        u, v, t, fwd, bwd, True, core_of, edge_chain, edge_off, seconds, chain_start, chain_end, chain_total
    )
    n = min(n, PER)  # never more than 2 for a valid position (see CoreGraph.departures)
    for i in range(n):
        e = PER * slot + i
        entry_node[e] = nodes[i]
        entry_cost[e] = costs[i]
        entry_e[e] = es[i]
        entry_s[e] = ss[i]
        entry_next[e] = node_head[nodes[i]]
        node_head[nodes[i]] = e
    for i in range(2):
        pchain[PER * slot + i] = pc[i]
        poff[PER * slot + i] = po[i]
        pe[PER * slot + i] = fwd if i == 0 else bwd
        ps[PER * slot + i] = t if i == 0 else 1.0 - t
    return n


@njit(cache=True, nogil=True)
def _haversine(lat1, lon1, lat2, lon2):
    p1 = math.radians(lat1)
    p2 = math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@njit(cache=True, nogil=True)
def fleet_query(
    ilat, ilon, ix, iy, inc_u, inc_v, inc_t, inc_fwd, inc_bwd, inc_slat, inc_slon, tx, ty,
    k, explain, with_routes, max_cost, want_factor, want_extra, agency_ok, kind_ok,
    n_slots, active, avail, agency, kind, ulat, ulon, ux, uy, uslat, uslon,
    node_head, entry_next, entry_unit, entry_cost, entry_node, entry_e, entry_s, pchain, poff, pe, ps,
    core_of, edge_chain, edge_off, seconds, chain_start, chain_end, chain_total,
    rindptr, rindices, rseconds, redge, findptr, findices, fseconds, fedge, chain_head_core, chain_tail_core,
    cx, cy, inv_speed, chain_ptr, chain_edges, edge_pos, indices, meters, glat, glon,
    ok, d2, init_u, init_c, dist, pedge, touched, hkey, hnode,
    fdist, fpred, ftouched, fkey, fnode, path,
    gen, ubest, ustamp, uvia, ufinal, ckey, cunit, out_unit, out_cost,
):  # fmt: skip
    """The nearest-unit query (see ``nearest.Fleet.nearest``).  Caller holds the fleet lock.

    The incident is the query point (ilat, ilon) = (ix, iy) metres, snapped on segment inc_u–inc_v at
    fraction inc_t (edges inc_fwd/inc_bwd, -1 = absent) at (inc_slat, inc_slon) = (tx, ty) metres.
    Returns ``(n_top, n_allowed, n_settled, exhausted, rows, edges, latlon, offsets)`` (n_settled:
    nodes settled by all the searches; few arrays, because each array returned to Python costs a
    microsecond or so).  ``rows[i]`` = (slot, seconds, crow metres, crow rank, route index or -1,
    proven unreachable 0/1, route metres): the road top-K fastest first, then the crow-flies top-K
    units missing from it (seconds inf when slower than the cap or unreachable).  Route r has edges
    ``edges[offsets[0, r]:offsets[0, r+1]]`` and points ``latlon[:, offsets[1, r]:offsets[1, r+1]]``.
    Scratch arrays are left reset.
    """
    # 1. where the incident is reached from (arrival hooks) and where it stands on its chain(s)
    arr_n, arr_nodes, arr_costs, arr_es, arr_ss, inc_pchain, inc_poff = hook_arrays(
        inc_u, inc_v, inc_t, inc_fwd, inc_bwd, False, core_of, edge_chain, edge_off, seconds, chain_start,
        chain_end, chain_total,
    )  # fmt: skip
    # 2. one pass over the units: allowed ones, the M nearest as the crow flies (sorted by (distance,
    #    slot); the first K are the ones to explain, all M give crow ranks without another pass), and
    #    units on the incident's own chain, behind it, whose direct drive is a first candidate
    m = 4 * k
    kk = 0
    n_ok = 0
    n_init = 0
    cu = np.full(m, -1, np.int64)
    cd = np.full(m, np.inf)
    for u in range(n_slots):
        o = active[u] == 1 and avail[u] == 1 and agency_ok[agency[u]] and kind_ok[kind[u]]
        ok[u] = 1 if o else 0
        if not o:
            continue
        dd = (ux[u] - ix) ** 2 + (uy[u] - iy) ** 2
        d2[n_ok] = dd  # compact list of allowed units' squared distances, for ranking
        n_ok += 1
        if kk < m or dd < cd[kk - 1]:
            j = kk if kk < m else m - 1
            while j > 0 and cd[j - 1] > dd:
                cd[j] = cd[j - 1]
                cu[j] = cu[j - 1]
                j -= 1
            cd[j] = dd
            cu[j] = u
            if kk < m:
                kk += 1
        for e in range(PER * u, PER * u + PER):
            c = pchain[e]
            if c < 0:
                continue
            for j in range(2):
                if c == inc_pchain[j] and poff[e] <= inc_poff[j]:
                    init_u[n_init] = u
                    init_c[n_init] = inc_poff[j] - poff[e]
                    n_init += 1
    n_crow = kk  # entries of the crow list
    kk = min(k, kk) if explain else 0  # crow-flies top-K to explain
    # 3. the search
    seeds = arr_nodes[:arr_n].astype(np.int32)
    n_out, n_settled, exhausted, n_touched, frontier = nearest_targets(
        rindptr, rindices, rseconds, redge, seeds, arr_costs[:arr_n],
        node_head, entry_next, entry_unit, entry_cost, ok, init_u[:n_init], init_c[:n_init], k, max_cost,
        dist, pedge, touched, hkey, hnode,
        gen, ubest, ustamp, uvia, ufinal, ckey, cunit, out_unit, out_cost,
    )  # fmt: skip
    # 4. result rows: road top-K, then displaced crow-flies units.  For each row: the node it leaves
    #    from (-1: direct along the incident's chain), where to follow ``pedge`` from (-1: nowhere), and
    #    a slice of forward edges driven first (``pre``, found by ``ball_astar``).
    n_top = min(k, n_out)
    rows = np.empty(n_top + kk, np.int64)
    cost = np.empty(n_top + kk, np.float64)
    unreach = np.zeros(n_top + kk, np.uint8)
    r_via = np.full(n_top + kk, -1, np.int64)
    r_walk = np.full(n_top + kk, -1, np.int64)
    r_pre = np.zeros(n_top + kk + 1, np.int64)
    pre = np.empty(64, np.int32)
    for i in range(n_top):
        u = out_unit[i]
        rows[i] = u
        cost[i] = out_cost[i]
        r_via[i] = uvia[u]
        r_walk[i] = uvia[u]
        r_pre[i + 1] = r_pre[i]
    n_rows = n_top
    cap = -1.0
    if n_out >= k:
        c_k = out_cost[k - 1]
        cap = min(max_cost, max(c_k * want_factor, c_k + want_extra))
    src_node = np.empty(PER, np.int64)
    src_cost = np.empty(PER, np.float64)
    for i in range(kk):
        u = cu[i]
        inside = False
        for j in range(n_top):
            if rows[j] == u:
                inside = True
        if inside:
            continue
        rows[n_rows] = u
        cost[n_rows] = np.inf
        r_pre[n_rows + 1] = r_pre[n_rows]
        if exhausted:
            unreach[n_rows] = 1  # everything that can reach the incident was settled
        elif cap >= 0.0:
            n_src = 0
            for e in range(PER * u, PER * u + PER):
                if entry_node[e] >= 0:
                    src_node[n_src] = entry_node[e]
                    src_cost[n_src] = entry_cost[e]
                    n_src += 1
            best0 = ubest[u] if ustamp[u] == gen else np.inf
            best, mode, via, n_path, proven, n_fwd = ball_astar(
                findptr, findices, fseconds, fedge, chain_tail_core, cx, cy, tx, ty, inv_speed,
                src_node, src_cost, n_src, seeds, arr_costs, arr_n, dist, frontier, best0, cap,
                fdist, fpred, ftouched, fkey, fnode, path,
            )  # fmt: skip
            unreach[n_rows] = 1 if proven else 0
            n_settled += n_fwd
            if best <= cap:
                cost[n_rows] = best
                if mode == 0:
                    r_via[n_rows] = uvia[u]
                    r_walk[n_rows] = uvia[u]
                else:
                    r_via[n_rows] = via
                    r_walk[n_rows] = chain_head_core[path[n_path - 1]] if (mode == 1 and n_path > 0) else -1
                    if mode == 1 and n_path == 0:
                        r_walk[n_rows] = via  # the vehicle leaves from a ball node
                    lo = r_pre[n_rows]
                    if lo + n_path > pre.shape[0]:
                        grown = np.empty(2 * (lo + n_path), np.int32)
                        grown[:lo] = pre[:lo]
                        pre = grown
                    pre[lo : lo + n_path] = path[:n_path]
                    r_pre[n_rows + 1] = lo + n_path
        n_rows += 1
    rows = rows[:n_rows]
    cost = cost[:n_rows]
    crow_m = np.empty(n_rows, np.float64)
    rank = np.ones(n_rows, np.int64)  # 1 + allowed units strictly closer as the crow flies
    du = np.empty(n_rows, np.float64)
    left = 0  # rows farther than the whole crow list: they need a pass over all allowed units
    for i in range(n_rows):
        u = rows[i]
        crow_m[i] = _haversine(ilat, ilon, ulat[u], ulon[u])
        du[i] = (ux[u] - ix) ** 2 + (uy[u] - iy) ** 2
        if n_crow < m or du[i] <= cd[m - 1]:  # every closer unit is in the list
            for j in range(n_crow):
                rank[i] += cd[j] < du[i]
            du[i] = -1.0
        else:
            left += 1
    if left > 0:
        for w in range(n_ok):
            x = d2[w]
            for i in range(n_rows):
                rank[i] += x < du[i]
    # 5. routes for the top-K (if asked) and for displaced units that were reached
    route_of = np.full(n_rows, -1, np.int64)
    n_routes = 0
    for i in range(n_rows):
        if (i < n_top and with_routes) or (i >= n_top and cost[i] < np.inf):
            route_of[i] = n_routes
            n_routes += 1
    dep_e = np.full(n_routes, -1, np.int64)
    dep_s = np.zeros(n_routes)
    a_e = np.full(n_routes, -1, np.int64)
    a_s = np.zeros(n_routes)
    direct = np.zeros(n_routes, np.uint8)
    offs = np.zeros(n_routes + 1, np.int64)
    o_lat = np.empty(n_routes)
    o_lon = np.empty(n_routes)
    chains = np.empty(0, np.int32)
    for pass_no in range(2):
        if pass_no == 1:
            chains = np.empty(offs[n_routes], np.int32)
        for i in range(n_rows):
            r = route_of[i]
            if r < 0:
                continue
            u = rows[i]
            via = r_via[i]
            cnt = 0
            for j in range(r_pre[i], r_pre[i + 1]):
                if pass_no == 1:
                    chains[offs[r] + cnt] = pre[j]
                cnt += 1
            if r_walk[i] >= 0:
                ce = pedge[r_walk[i]]
                while ce >= 0:
                    if pass_no == 1:
                        chains[offs[r] + cnt] = ce
                    cnt += 1
                    ce = pedge[chain_head_core[ce]]
            if pass_no == 0:
                offs[r + 1] = offs[r] + cnt
                continue
            o_lat[r] = uslat[u]
            o_lon[r] = uslon[u]
            if via < 0:  # direct along the shared chain: the best (unit side, incident side) pair
                best_d = np.inf
                for j1 in range(2):
                    e1 = PER * u + j1
                    for j2 in range(2):
                        same = pchain[e1] >= 0 and pchain[e1] == inc_pchain[j2] and poff[e1] <= inc_poff[j2]
                        if same and inc_poff[j2] - poff[e1] < best_d:
                            best_d = inc_poff[j2] - poff[e1]
                            dep_e[r] = pe[e1]
                            dep_s[r] = ps[e1]
                            a_e[r] = inc_fwd if j2 == 0 else inc_bwd
                            a_s[r] = inc_t if j2 == 0 else 1.0 - inc_t
                direct[r] = 1
                continue
            for e in range(PER * u, PER * u + PER):
                if entry_node[e] == via:
                    dep_e[r] = entry_e[e]
                    dep_s[r] = entry_s[e]
            end = chain_head_core[chains[offs[r + 1] - 1]] if cnt > 0 else via
            for j in range(arr_n):
                if arr_nodes[j] == end:
                    a_e[r] = arr_es[j]
                    a_s[r] = arr_ss[j]
    reset_nodes(dist, touched, n_touched)
    d_lat = np.full(n_routes, inc_slat)
    d_lon = np.full(n_routes, inc_slon)
    edges, eoff, rlat, rlon, poff_out, route_m = assemble_core(
        dep_e, dep_s, a_e, a_s, direct, chains, offs, chain_ptr, chain_edges, edge_chain, edge_pos, indices,
        meters, glat, glon, o_lat, o_lon, d_lat, d_lon,
    )  # fmt: skip
    out = np.empty((n_rows, 7), np.float64)
    for i in range(n_rows):
        out[i, 0] = rows[i]
        out[i, 1] = cost[i]
        out[i, 2] = crow_m[i]
        out[i, 3] = rank[i]
        out[i, 4] = route_of[i]
        out[i, 5] = unreach[i]
        out[i, 6] = route_m[route_of[i]] if route_of[i] >= 0 else np.nan
    latlon = np.empty((2, rlat.shape[0]), np.float64)
    latlon[0, :] = rlat
    latlon[1, :] = rlon
    offsets = np.empty((2, n_routes + 1), np.int64)
    offsets[0, :] = eoff
    offsets[1, :] = poff_out
    return n_top, n_ok, n_settled, exhausted, out, edges, latlon, offsets
