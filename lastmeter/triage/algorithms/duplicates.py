"""Duplicate finder: is a new report the same problem as an open appeal (any channel)?

Same problem = near in space (default <= 300 m) and time (default <= 72 h) and similar text (cosine
of TF-IDF-weighted character 1–2-grams; language-neutral, robust to re-wording). Reports without a
location are compared on time and text only, with a stricter text threshold.

``DuplicateIndex`` keeps the open appeals' vectors as one sparse block (rows and postings) with
per-row time and place arrays. A query keeps the rows inside its time window and, when it has a
place, inside a latitude/longitude box that contains every point within the distance (vectorised
numpy, no per-candidate Python), scores them in one compiled pass (kernels.py) and judges only the
few rows similar enough. ``find_duplicates_bruteforce`` is the reference it must agree with.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .features import HashSpec, hashed_counts, hashed_doc
from .kernels import score_postings, score_rows
from .text import Prepared, normalise

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
    # Floor on the combined score (similarity x nearness x recency, <= similarity): a caller that
    # decides on the score (intake's DUPLICATE_THRESHOLD) passes it here so the search can skip
    # every row whose similarity alone is below it.
    min_score: float = 0.0


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


# Title and opening lines; also bounds the work per query.
MAX_CHARS = 400
_SPEC = HashSpec(word_ngrams=(1, 1), char_ngrams=(1, 2), word_bits=1, char_bits=18)


def _prepared(text: str | Prepared) -> str:
    """Normalised text without spaces (CJK-friendly), only the first MAX_CHARS characters: a long
    letter's opening names its problem."""
    norm = text.norm[: 2 * MAX_CHARS] if isinstance(text, Prepared) else normalise(text[: 2 * MAX_CHARS])
    return norm.replace(" ", "")[:MAX_CHARS]


class TextSimilarity:
    """Cosine similarity of TF-IDF weighted character 1-2-grams (hashed in numpy, see features.py).
    The IDF comes from a corpus (the open appeals); grams unseen there get the maximum IDF.
    ``vectors`` returns L2-normalised CSR rows (float32); ``query`` one such row as arrays."""

    n_features = _SPEC.n_features

    def __init__(self, corpus: Iterable[str] = ()):
        counts = self._counts(list(corpus))
        n = counts.shape[0]
        df = np.bincount(counts.indices, minlength=_SPEC.n_features) if n else np.zeros(_SPEC.n_features)
        self.n_docs = n
        self.idf = np.log((1.0 + n) / (1.0 + df)) + 1.0  # unseen: log(1 + n) + 1, the maximum

    @staticmethod
    def _counts(texts: Sequence[str | Prepared]) -> sp.csr_matrix:
        return hashed_counts([((), _prepared(t)) for t in texts], _SPEC)

    def vectors(self, texts: Sequence[str | Prepared]) -> sp.csr_matrix:
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

    def query(self, text: str | Prepared) -> tuple[np.ndarray, np.ndarray]:
        """One text's vector as ``(columns int64, values float32)``: the same numbers as its row of
        :meth:`vectors`, without building a sparse matrix (the per-message path)."""
        cols, counts = hashed_doc((), _prepared(text), _SPEC)
        data = (1.0 + np.log(counts)) * self.idf[cols]
        norm = math.sqrt(float(data @ data)) if data.size else 0.0
        return cols, (data / (norm or 1.0)).astype(np.float32)

    def similarity(self, x: str, y: str) -> float:
        v = self.vectors([x, y]).astype(np.float64)
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
    hours = None
    if created_at is not None and app.created_at is not None:
        hours = abs(created_at - app.created_at) / 3600.0
        if hours > params.max_hours:
            return None
    dist = None
    if lon is not None and lat is not None and app.lon is not None and app.lat is not None:
        dist = haversine_m(lon, lat, app.lon, app.lat)
        if dist > params.max_distance_m:
            return None
    threshold = params.min_similarity if dist is not None else params.min_similarity_without_place
    if sim < threshold:
        return None
    near = 1.0 - 0.3 * (dist / params.max_distance_m) if dist is not None else 0.8
    recent = 1.0 - 0.2 * (hours / params.max_hours) if hours is not None else 0.9
    score = round(sim * near * recent, 4)
    if score < params.min_score:
        return None
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


def _ranked(matches: list[DuplicateMatch], k: int) -> list[DuplicateMatch]:
    matches.sort(key=lambda m: (-m.score, str(m.appeal_id)))
    return matches[:k]


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
    vecs = sim.vectors([text] + [a.text for a in appeals]).astype(np.float64)
    sims = (vecs[1:] @ vecs[0].T).toarray().ravel()
    out = []
    for app, s in zip(appeals, sims.tolist(), strict=True):
        m = _judge(params, s, created_at, lon, lat, app)
        if m is not None:
            out.append(m)
    return _ranked(out, k)


class _Rows:
    """A block of appeals: text vectors as CSR arrays (and, for the main block, CSC postings), and
    per-row time, place (NaN when unlocated) and an ``alive`` flag (removed rows stay until the
    next compaction, never read)."""

    def __init__(self, ids: list[Hashable], apps: list[OpenAppeal], vecs: sp.csr_matrix, postings: bool):
        self.ids = ids
        self.indptr = vecs.indptr.astype(np.int64)
        self.indices = vecs.indices.astype(np.int32)
        self.data = vecs.data.astype(np.float32)
        self.row_nnz = np.diff(self.indptr)
        n = len(ids)
        self.time = np.array([a.created_at for a in apps], dtype=np.float64).reshape(n)
        self.lon = np.array([np.nan if a.lon is None else a.lon for a in apps], dtype=np.float64).reshape(n)
        self.lat = np.array([np.nan if a.lat is None else a.lat for a in apps], dtype=np.float64).reshape(n)
        self.unlocated = np.isnan(self.lat)
        self.alive = np.ones(n, dtype=bool)
        self.col_ptr: np.ndarray | None = None
        if postings and n:
            csc = vecs.tocsc()
            csc.sort_indices()
            self.col_ptr = csc.indptr.astype(np.int64)
            self.col_rows = csc.indices.astype(np.int32)
            self.col_data = csc.data.astype(np.float32)

    def __len__(self) -> int:
        return len(self.ids)

    def matrix(self, rows: np.ndarray) -> sp.csr_matrix:
        m = sp.csr_matrix((self.data, self.indices, self.indptr), shape=(len(self.ids), _SPEC.n_features))
        return m[rows]

    def candidates(
        self, created_at: float, span: float, box: tuple[float, float, float, float] | None
    ) -> np.ndarray:
        """Rows alive, within ``span`` seconds and (for a located query) unlocated or inside the box
        ``(lon, lat, dlon, dlat)`` in degrees."""
        mask = self.alive & (np.abs(self.time - created_at) <= span)
        if box is not None:
            lon, lat, dlon, dlat = box
            dl = np.abs(self.lon - lon)
            dl = np.minimum(dl, 360.0 - dl)
            with np.errstate(invalid="ignore"):
                mask &= self.unlocated | ((np.abs(self.lat - lat) <= dlat) & (dl <= dlon))
        return np.flatnonzero(mask)

    def score(
        self, rows: np.ndarray, qcols: np.ndarray, qvals: np.ndarray, scratch: tuple[np.ndarray, np.ndarray]
    ) -> np.ndarray:
        """Cosine of the query with each of ``rows``: by postings when the query's grams occur in
        fewer rows than the candidates' total non-zeros, else row by row."""
        if self.col_ptr is not None:
            postings = int((self.col_ptr[qcols + 1] - self.col_ptr[qcols]).sum())
            if postings < int(self.row_nnz[rows].sum()):
                every = score_postings(
                    self.col_ptr, self.col_rows, self.col_data, qcols, qvals, len(self.ids)
                )
                return every[rows]
        return score_rows(self.indptr, self.indices, self.data, rows, qcols, qvals, *scratch)


class DuplicateIndex:
    """Open appeals with their text vectors, times and places, kept current with ``add``/``remove``.

    The IDF statistics are those of the appeals given at construction (call ``rebuild`` now and then,
    e.g. nightly). Appeals added later wait in a small pending block until the next compaction.
    ``find`` is safe to call from several threads at once (each thread has its own scratch vector);
    ``add``/``remove``/``rebuild`` need the caller to exclude concurrent calls."""

    COMPACT_AFTER = 256

    def __init__(self, appeals: Iterable[OpenAppeal] = (), params: DuplicateParams = DuplicateParams()):
        self.params = params
        self._local = threading.local()
        self.rebuild(list(appeals))

    def rebuild(self, appeals: list[OpenAppeal] | None = None) -> None:
        """Re-index ``appeals`` (default: the current ones) with fresh IDF statistics."""
        appeals = list(self._appeals.values()) if appeals is None else appeals
        for app in appeals:
            _check_indexable(app)
        self._appeals: dict[Hashable, OpenAppeal] = {a.id: a for a in appeals}
        apps = list(self._appeals.values())
        self.similarity = TextSimilarity(a.text for a in apps)
        self._set_block(apps, self.similarity.vectors([a.text for a in apps]))
        self._pending: dict[Hashable, sp.csr_matrix] = {}
        self._pending_rows: _Rows | None = None

    def _set_block(self, apps: list[OpenAppeal], vecs: sp.csr_matrix) -> None:
        ids = [a.id for a in apps]
        self._block = _Rows(ids, apps, vecs, postings=True)
        self._block_pos = {aid: i for i, aid in enumerate(ids)}

    def _compact(self) -> None:
        alive = np.flatnonzero(self._block.alive)
        apps = [self._appeals[self._block.ids[i]] for i in alive]
        apps += [self._appeals[a] for a in self._pending]
        vecs = sp.vstack([self._block.matrix(alive), *self._pending.values()], format="csr")
        self._set_block(apps, vecs)
        self._pending = {}
        self._pending_rows = None

    def __len__(self) -> int:
        return len(self._appeals)

    def __contains__(self, appeal_id: Hashable) -> bool:
        return appeal_id in self._appeals

    def get(self, appeal_id: Hashable) -> OpenAppeal | None:
        return self._appeals.get(appeal_id)

    def add(self, app: OpenAppeal) -> None:
        """Index ``app`` (replacing an appeal of the same id). Precondition: ``created_at`` is set."""
        _check_indexable(app)
        if app.id in self._appeals:
            self.remove(app.id)
        self._appeals[app.id] = app
        self._pending[app.id] = self.similarity.vectors([app.text])
        self._pending_rows = None
        if len(self._pending) > self.COMPACT_AFTER:
            self._compact()

    def remove(self, appeal_id: Hashable) -> None:
        if self._appeals.pop(appeal_id, None) is None:
            return
        if self._pending.pop(appeal_id, None) is not None:
            self._pending_rows = None
        pos = self._block_pos.pop(appeal_id, None)
        if pos is not None:
            self._block.alive[pos] = False

    def _pending_block(self) -> _Rows | None:
        if not self._pending:
            return None
        if self._pending_rows is None:
            ids = list(self._pending)
            vecs = sp.vstack([self._pending[i] for i in ids], format="csr")
            self._pending_rows = _Rows(ids, [self._appeals[i] for i in ids], vecs, postings=False)
        return self._pending_rows

    def _scratch(self) -> tuple[np.ndarray, np.ndarray]:
        """This thread's zeroed query vector and column bitmap (see kernels.score_rows)."""
        pair = getattr(self._local, "scratch", None)
        if pair is None:
            n = TextSimilarity.n_features
            pair = (np.zeros(n, dtype=np.float32), np.zeros((n + 63) // 64, dtype=np.uint64))
            self._local.scratch = pair
        return pair

    def _box(self, lon: float, lat: float) -> tuple[float, float, float, float]:
        """A lon/lat box holding every point within max_distance_m of (lon, lat), with slack.
        hav(d/R) >= cos(lat1) cos(lat2) hav(dlon), so dlon <= 2 asin(sin(d/2R) / cos(lat_max))."""
        d = self.params.max_distance_m * 1.001 + 1.0
        dlat = math.degrees(d / _EARTH_R)
        c = math.cos(math.radians(min(90.0, abs(lat) + dlat)))
        ratio = math.sin(d / (2 * _EARTH_R)) / c if c > 1e-12 else 2.0
        dlon = 360.0 if ratio >= 1.0 else math.degrees(2 * math.asin(ratio)) * 1.001
        return lon, lat, dlon, dlat

    def find(
        self,
        text: str | Prepared,
        created_at: float,
        lon: float | None = None,
        lat: float | None = None,
        k: int = 3,
    ) -> list[DuplicateMatch]:
        """Best ``k`` open appeals this report duplicates, best first (empty list: a new problem)."""
        if (lon is None) != (lat is None):
            raise ValueError("lon and lat must both be given or both be None")
        p = self.params
        floor = max(min(p.min_similarity, p.min_similarity_without_place), p.min_score - 1e-4)
        qcols, qvals = self.similarity.query(text)
        # 1 ppm and 1 s of slack: the window must never drop a row _judge would accept.
        span = self.params.max_hours * 3600.0 * (1 + 1e-6) + 1.0
        box = self._box(lon, lat) if lon is not None and lat is not None else None
        out = []
        for rows in (self._block, self._pending_block()):
            if rows is None or not len(rows):
                continue
            cand = rows.candidates(created_at, span, box)
            if not cand.size:
                continue
            sims = rows.score(cand, qcols, qvals, self._scratch())
            keep = np.flatnonzero(sims >= floor)
            # Only the rows similar enough reach Python: distances, thresholds and the reason.
            for j in keep.tolist():
                m = _judge(
                    self.params, float(sims[j]), created_at, lon, lat, self._appeals[rows.ids[cand[j]]]
                )
                if m is not None:
                    out.append(m)
        return _ranked(out, k)


def _check_indexable(app: OpenAppeal) -> None:
    _check(app)
    if app.created_at is None:
        raise ValueError(f"appeal {app.id!r}: the index needs created_at")


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
