"""Duplicate finder: is a new report the same problem as an open appeal (any channel)?

Same problem = near in space (default <= 300 m) and time (default <= 72 h) and similar text (cosine
of TF-IDF-weighted character 1–2-grams; language-neutral, robust to re-wording). Reports without a
location are compared on time and text only, with a stricter text threshold.

``DuplicateIndex`` buckets appeals in a latitude-band / longitude grid whose cells are at least the
distance threshold wide, so a query reads only the 3 x 3 cells around it; ``find_duplicates_bruteforce``
is the reference it must agree with.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .features import HashSpec, hashed_counts
from .text import normalise

_EARTH_R = 6371008.8
_M_PER_DEG = _EARTH_R * math.pi / 180


@dataclass(frozen=True)
class OpenAppeal:
    id: Hashable
    text: str
    created_at: float | None  # POSIX seconds (UTC); None: the caller already applied a time window
    lon: float | None = None
    lat: float | None = None
    channel: str = ""


@dataclass(frozen=True)
class DuplicateParams:
    max_distance_m: float = 300.0
    max_hours: float = 72.0
    min_similarity: float = 0.35  # when both have a location
    min_similarity_without_place: float = 0.6  # when either lacks one


@dataclass(frozen=True)
class DuplicateMatch:
    appeal_id: Hashable
    score: float
    similarity: float
    distance_m: float | None
    hours_apart: float | None
    reason: str

    @property
    def id(self) -> Hashable:
        """Alias of ``appeal_id`` (for callers that read ``row.id``)."""
        return self.appeal_id


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * _EARTH_R * math.asin(math.sqrt(min(1.0, a)))


# Title and opening lines; also bounds the work per query (a sparse pass over every open appeal).
MAX_CHARS = 400
_SPEC = HashSpec(word_ngrams=(1, 1), char_ngrams=(1, 2), word_bits=1, char_bits=18)


def _prepared(text: str) -> str:
    """Normalised text without spaces (CJK-friendly), only the first MAX_CHARS characters: a long
    letter's opening names its problem."""
    return normalise(text[: 2 * MAX_CHARS]).replace(" ", "")[:MAX_CHARS]


class TextSimilarity:
    """Cosine similarity of TF-IDF weighted character 1-2-grams (hashed in numpy, see features.py).
    The IDF comes from a corpus (the open appeals); grams unseen there get the maximum IDF.
    ``vectors`` returns L2-normalised CSR rows."""

    def __init__(self, corpus: Iterable[str] = ()):
        counts = self._counts(list(corpus))
        n = counts.shape[0]
        df = np.bincount(counts.indices, minlength=_SPEC.n_features) if n else np.zeros(_SPEC.n_features)
        self.n_docs = n
        self.idf = np.log((1.0 + n) / (1.0 + df)) + 1.0  # unseen: log(1 + n) + 1, the maximum

    @staticmethod
    def _counts(texts: list[str]) -> sp.csr_matrix:
        return hashed_counts([((), _prepared(t)) for t in texts], _SPEC)

    def vectors(self, texts: Sequence[str]) -> sp.csr_matrix:
        m = self._counts(list(texts))
        data = (1.0 + np.log(m.data.astype(np.float64))) * self.idf[m.indices]
        lengths = np.diff(m.indptr)
        sq = np.zeros(m.shape[0])
        nonempty = lengths > 0
        if data.size:
            sq[nonempty] = np.add.reduceat(data * data, m.indptr[:-1][nonempty])
        norms = np.sqrt(sq)
        norms[norms == 0] = 1.0
        m.data = (data / np.repeat(norms, lengths)).astype(np.float32)
        return m

    def similarity(self, x: str, y: str) -> float:
        v = self.vectors([x, y])
        return float(v[0].multiply(v[1]).sum())


def _check(app: OpenAppeal) -> None:
    if (app.lon is None) != (app.lat is None):
        raise ValueError(f"appeal {app.id!r}: lon and lat must both be given or both be None")


def _judge(
    params: DuplicateParams,
    sim: float,
    created_at: float | None,
    lon: float | None,
    lat: float | None,
    app: OpenAppeal,
) -> DuplicateMatch | None:
    timed = created_at is not None and app.created_at is not None
    hours = abs(created_at - app.created_at) / 3600.0 if timed else None
    if hours is not None and hours > params.max_hours:
        return None
    located = lon is not None and app.lon is not None
    dist = haversine_m(lon, lat, app.lon, app.lat) if located else None
    if dist is not None and dist > params.max_distance_m:
        return None
    threshold = params.min_similarity if located else params.min_similarity_without_place
    if sim < threshold:
        return None
    near = 1.0 - 0.3 * (dist / params.max_distance_m) if dist is not None else 0.8
    recent = 1.0 - 0.2 * (hours / params.max_hours) if hours is not None else 0.9
    score = round(sim * near * recent, 4)
    where = f"{dist:.0f} m away" if dist is not None else "no location to compare"
    when = f"{hours:.1f} h apart" if hours is not None else "time not compared"
    return DuplicateMatch(
        app.id,
        score,
        round(sim, 4),
        None if dist is None else round(dist, 1),
        None if hours is None else round(hours, 2),
        f"similar text ({sim:.2f}), {where}, {when}",
    )


def find_duplicates_bruteforce(
    text: str,
    created_at: float | None,
    lon: float | None,
    lat: float | None,
    appeals: Sequence[OpenAppeal],
    params: DuplicateParams = DuplicateParams(),
    similarity: TextSimilarity | None = None,
    k: int = 3,
) -> list[DuplicateMatch]:
    """Reference implementation: compare with every appeal. Best ``k`` matches, best first."""
    sim = similarity or TextSimilarity(a.text for a in appeals)
    if not appeals:
        return []
    vecs = sim.vectors([text] + [a.text for a in appeals])
    sims = (vecs[1:] @ vecs[0].T).toarray().ravel()
    out = []
    for app, s in zip(appeals, sims.tolist(), strict=True):
        m = _judge(params, s, created_at, lon, lat, app)
        if m is not None:
            out.append(m)
    out.sort(key=lambda m: (-m.score, str(m.appeal_id)))
    return out[:k]


class DuplicateIndex:
    """Open appeals indexed by place (grid) and time (sorted list) with cached text vectors.

    ``add``/``remove`` keep it current as appeals open and close; the IDF statistics are those of the
    appeals given at construction (call ``rebuild`` now and then, e.g. nightly)."""

    def __init__(self, appeals: Iterable[OpenAppeal] = (), params: DuplicateParams = DuplicateParams()):
        self.params = params
        self.rebuild(list(appeals))

    def rebuild(self, appeals: list[OpenAppeal] | None = None) -> None:
        """Re-index ``appeals`` (default: the current ones) with fresh IDF statistics."""
        appeals = list(self._appeals.values()) if appeals is None else appeals
        self.similarity = TextSimilarity(a.text for a in appeals)
        self._appeals: dict[Hashable, OpenAppeal] = {}
        self._cells: dict[tuple[int, int], set[Hashable]] = {}
        self._times: list[tuple[float, str, Hashable]] = []  # sorted (created_at, repr(id), id)
        self._unlocated_times: list[tuple[float, str, Hashable]] = []
        for app in appeals:
            self._register(app)
        # Text vectors as one CSR block (one sparse product per query); appeals added later wait in
        # a small pending block until the next compaction.
        ids = list(self._appeals)
        self._set_block(ids, self.similarity.vectors([self._appeals[i].text for i in ids]))
        self._pending: dict[Hashable, sp.csr_matrix] = {}
        self._pending_block: tuple[list, sp.csr_matrix] | None = None

    def _set_block(self, ids: list, block: sp.csr_matrix) -> None:
        self._block = block
        # Column-major copy: postings of each hashed gram, to find the rows sharing a rare gram.
        self._block_csc = block.tocsc()
        self._block_ids = ids
        self._block_pos = {aid: i for i, aid in enumerate(ids)}
        self._block_time = np.array([self._appeals[a].created_at for a in ids], dtype=float)
        self._block_alive = np.ones(len(ids), dtype=bool)

    def _compact(self) -> None:
        alive = np.flatnonzero(self._block_alive)
        ids = [self._block_ids[i] for i in alive] + list(self._pending)
        self._set_block(ids, sp.vstack([self._block[alive], *self._pending.values()], format="csr"))
        self._pending = {}
        self._pending_block = None

    def _register(self, app: OpenAppeal) -> None:
        _check(app)
        if app.created_at is None:
            raise ValueError(f"appeal {app.id!r}: the index needs created_at")
        self._appeals[app.id] = app
        item = (app.created_at, repr(app.id), app.id)
        self._times.insert(bisect_left(self._times, item[:2]), item)
        if app.lon is not None:
            self._cells.setdefault(self._cell(app.lon, app.lat), set()).add(app.id)
        else:
            self._unlocated_times.insert(bisect_left(self._unlocated_times, item[:2]), item)

    def __len__(self) -> int:
        return len(self._appeals)

    # Cells: latitude bands of max_distance_m; in each band longitude cells at least max_distance_m
    # wide at the band's pole-ward edge, so any point within the distance is in the 3 x 3 block.
    def _band(self, lat: float) -> int:
        return math.floor(lat * _M_PER_DEG / self.params.max_distance_m)

    def _lon_width(self, band: int) -> float:
        # Pole-ward edge of the neighbouring band (a query may sit there) and 1 % slack: a great
        # circle is slightly shorter than the parallel, so the cell must be a little wider.
        edge = (max(abs(band), abs(band + 1)) + 1) * self.params.max_distance_m / _M_PER_DEG
        cos = max(math.cos(math.radians(min(edge, 89.9))), 1e-6)
        return 1.01 * self.params.max_distance_m / (_M_PER_DEG * cos)

    def _cell(self, lon: float, lat: float) -> tuple[int, int]:
        band = self._band(lat)
        return band, math.floor(lon / self._lon_width(band))

    def add(self, app: OpenAppeal) -> None:
        """Index ``app`` (replacing an appeal of the same id). Precondition: ``created_at`` is set."""
        _check(app)
        if app.created_at is None:
            raise ValueError(f"appeal {app.id!r}: the index needs created_at")
        if app.id in self._appeals:
            self.remove(app.id)
        self._register(app)
        self._pending[app.id] = self.similarity.vectors([app.text])
        self._pending_block = None
        if len(self._pending) > 256:
            self._compact()

    @staticmethod
    def _drop_time(times: list, app: OpenAppeal) -> None:
        i = bisect_left(times, (app.created_at, repr(app.id)))
        while i < len(times) and times[i][2] != app.id:
            i += 1
        if i < len(times):
            del times[i]

    def remove(self, appeal_id: Hashable) -> None:
        app = self._appeals.pop(appeal_id, None)
        if app is None:
            return
        if self._pending.pop(appeal_id, None) is not None:
            self._pending_block = None
        pos = self._block_pos.pop(appeal_id, None)
        if pos is not None:
            self._block_alive[pos] = False  # the row stays in the block, never read again
        self._drop_time(self._times, app)
        if app.lon is not None:
            cell = self._cells.get(self._cell(app.lon, app.lat))
            if cell is not None:
                cell.discard(appeal_id)
        else:
            self._drop_time(self._unlocated_times, app)

    def _in_window(self, times: list, created_at: float) -> list[Hashable]:
        span = self.params.max_hours * 3600.0
        lo = bisect_left(times, (created_at - span,))
        hi = bisect_right(times, (created_at + span, "\uffff"))
        return [item[2] for item in times[lo:hi]]

    def _candidates(self, created_at: float, lon: float | None, lat: float | None) -> set[Hashable]:
        if lon is None:
            return set(self._in_window(self._times, created_at))
        near: set[Hashable] = set()
        band = self._band(lat)
        for b in (band - 1, band, band + 1):
            col = math.floor(lon / self._lon_width(b))
            for c in (col - 1, col, col + 1):
                near |= self._cells.get((b, c), set())
        # Appeals without a location can still be duplicates (on text, with the stricter threshold);
        # the time window of located ones is checked by _judge.
        near.update(self._in_window(self._unlocated_times, created_at))
        return near

    PREFILTER_GRAMS = 32
    PREFILTER_MAX_DF = 0.02
    PREFILTER_MIN_ROWS = 500

    def _pending_scores(self, q: np.ndarray) -> list[tuple[Hashable, float]]:
        if not self._pending:
            return []
        if self._pending_block is None:
            ids = list(self._pending)
            self._pending_block = (ids, sp.vstack([self._pending[i] for i in ids], format="csr"))
        ids, block = self._pending_block
        return list(zip(ids, (block @ q).tolist(), strict=True))

    def _unlocated_query(
        self, q: np.ndarray, q_cols: np.ndarray, created_at: float, floor: float
    ) -> list[tuple[Hashable, float]]:
        """(id, similarity) of the appeals in the time window with similarity >= floor.
        ``q``: dense query vector; ``q_cols``: its non-zero columns."""
        span = self.params.max_hours * 3600.0
        out = []
        if self._block.shape[0]:
            # Large indices: only rows sharing one of the query's rarest grams (document frequency
            # under PREFILTER_MAX_DF) are scored. A text similar enough to be a duplicate shares
            # some of them, and their postings are short, unlike a pass over every open appeal.
            # Small indices are scored exhaustively (exact, and cheap anyway).
            n = self._block.shape[0]
            if n >= self.PREFILTER_MIN_ROWS:
                qi = np.unique(q_cols)
                df = np.diff(self._block_csc.indptr)[qi]
                ok = df <= max(1, self.PREFILTER_MAX_DF * n)
                rare = qi[ok][np.argsort(df[ok], kind="stable")][: self.PREFILTER_GRAMS]
                # A query made only of common grams has no short postings: score every row.
                rows = np.unique(self._block_csc[:, rare].indices) if rare.size >= 4 else np.arange(n)
            else:
                rows = np.arange(n)
            rows = rows[self._block_alive[rows] & (np.abs(self._block_time[rows] - created_at) <= span)]
            if rows.size:
                sims = self._block[rows] @ q
                keep = sims >= floor
                out = [
                    (self._block_ids[r], float(v))
                    for r, v in zip(rows[keep].tolist(), sims[keep].tolist(), strict=True)
                ]
        out += [
            (a, sim)
            for a, sim in self._pending_scores(q)
            if sim >= floor and abs(self._appeals[a].created_at - created_at) <= span
        ]
        return out

    def _located_query(self, q: np.ndarray, ids: set[Hashable]) -> list[tuple[Hashable, float]]:
        rows = [self._block_pos[a] for a in ids if a in self._block_pos]
        out = []
        if rows:
            sims = self._block[rows] @ q
            out = [(self._block_ids[r], float(s)) for r, s in zip(rows, sims.tolist(), strict=True)]
        if self._pending:
            out += [(a, s) for a, s in self._pending_scores(q) if a in ids]
        return out

    def find(
        self, text: str, created_at: float, lon: float | None = None, lat: float | None = None, k: int = 3
    ) -> list[DuplicateMatch]:
        """Best ``k`` open appeals this report duplicates, best first (empty list: a new problem)."""
        if (lon is None) != (lat is None):
            raise ValueError("lon and lat must both be given or both be None")
        floor = min(self.params.min_similarity, self.params.min_similarity_without_place)
        qv = self.similarity.vectors([text])
        # Dense query (one float per hashed gram): csr @ dense is a single fast pass over the rows.
        q = np.zeros(qv.shape[1], dtype=np.float32)
        q[qv.indices] = qv.data
        if lon is None:
            scored = self._unlocated_query(q, qv.indices, created_at, floor)
        else:
            scored = self._located_query(q, self._candidates(created_at, lon, lat))
        out = []
        for aid, sim in scored:
            if sim < floor:
                continue  # cheap reject before distances
            m = _judge(self.params, sim, created_at, lon, lat, self._appeals[aid])
            if m is not None:
                out.append(m)
        out.sort(key=lambda m: (-m.score, str(m.appeal_id)))
        return out[:k]


def find_duplicates(
    text: str,
    candidates: Sequence[dict],
    *,
    lat: float | None = None,
    lon: float | None = None,
    created_at: float | None = None,
    params: DuplicateParams = DuplicateParams(),
    k: int = 3,
) -> list[DuplicateMatch]:
    """Convenience form for a caller holding candidate rows as dicts with ``id``, ``text`` and
    optional ``lat``, ``lon``, ``created_at`` (POSIX seconds). Every returned match already passed
    the thresholds of ``params``: do not threshold ``score`` again (it ranks, ~0.3-1.0)."""
    appeals = [
        OpenAppeal(
            c["id"],
            c.get("text") or "",
            c.get("created_at"),
            c.get("lon") if c.get("lat") is not None else None,
            c.get("lat") if c.get("lon") is not None else None,
        )
        for c in candidates
    ]
    if (lat is None) != (lon is None):
        lat = lon = None
    return find_duplicates_bruteforce(text, created_at, lon, lat, appeals, params, k=k)
