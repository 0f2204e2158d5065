"""Compiled (numba) kernels of the per-message triage path.

Hashed n-grams of one document (``ngram_buckets`` + ``count_buckets``: the same buckets as the numpy
code in features.py, which builds training matrices), the classifier's scores for one document
(``classifier_proba``), and the duplicate finder's cosine scores of one query against many rows.

The open appeals' text vectors are kept as CSR arrays (rows = appeals) and, for the indexed block, as
CSC arrays too (postings: the appeals holding each hashed gram). A query is scored either row by row
over the appeals a place/time window leaves (``score_rows``, cost = their non-zeros) or gram by gram
over the postings of the query's grams (``score_postings``, cost = those postings); the caller picks
the cheaper. Both accumulate in float64 and release the GIL.

Why numba and not numpy/scipy: one message is small, so the fixed cost of each numpy or scipy call
(1-100 µs: validation, allocation) was most of the per-message time; scipy's sparse products also
made a pass over every row. These loops touch only what the message needs.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_MUL1 = np.uint64(0xBF58476D1CE4E5B9)
_MUL2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True, nogil=True, inline="always")
def _mix(h: np.uint64) -> np.uint64:  # pragma: no cover - compiled
    """splitmix64 finaliser (features._mix on one value)."""
    h = h ^ (h >> np.uint64(30))
    h = h * _MUL1
    h = h ^ (h >> np.uint64(27))
    h = h * _MUL2
    return h ^ (h >> np.uint64(31))


@njit(cache=True, nogil=True)
def ngram_buckets(
    units: np.ndarray, lo: int, hi: int, bits: int, salt: int, offset: int
) -> np.ndarray:  # pragma: no cover - compiled
    """Buckets (+ ``offset``) of every contiguous n-gram, lo <= n <= hi, of one document's ``units``
    (uint64): features._ngram_keys for a single document, value for value."""
    n = units.size
    total = 0
    for k in range(lo, hi + 1):
        if n >= k:
            total += n - k + 1
    out = np.empty(total, dtype=np.int64)
    acc = units.copy()
    shift = np.uint64(64 - bits)
    pos = 0
    for k in range(1, hi + 1):
        if n < k:
            break
        if k > 1:
            last = units.size - k + 1
            for i in range(last):
                acc[i] = acc[i] * _GOLD + units[i + k - 1]
        if k >= lo:
            add = np.uint64(salt + 0x1000 * k)
            for i in range(n - k + 1):
                out[pos] = np.int64(_mix(acc[i] + add) >> shift) + offset
                pos += 1
    return out


@njit(cache=True, nogil=True)
def count_buckets(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Distinct ``keys`` ascending and how often each occurs (np.unique(..., return_counts=True))."""
    s = np.sort(keys)
    cols = np.empty(s.size, dtype=np.int64)
    counts = np.empty(s.size, dtype=np.float64)
    m = -1
    for i in range(s.size):
        if m >= 0 and s[i] == cols[m]:
            counts[m] += 1.0
        else:
            m += 1
            cols[m] = s[i]
            counts[m] = 1.0
    return cols[: m + 1], counts[: m + 1]


@njit(cache=True, nogil=True)
def classifier_proba(
    cols: np.ndarray,
    counts: np.ndarray,
    idf: np.ndarray,
    W: np.ndarray,
    intercept: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    calibrated: bool,
    n_classes: int,
) -> np.ndarray:  # pragma: no cover - compiled
    """classifier._FastScorer.proba for one document: sublinear TF-IDF, L2 norm, linear scores of
    every calibration member (``W`` has the IDF folded in), sigmoid calibration, normalisation and
    the mean over members."""
    n_members, k = intercept.shape
    tf = np.empty(cols.size)
    sq = 0.0
    for j in range(cols.size):
        tf[j] = np.log(counts[j]) + 1.0
        w = tf[j] * idf[cols[j]]
        sq += w * w
    norm = np.sqrt(sq)
    if norm == 0.0:
        norm = 1.0
    d = np.zeros(n_members * k)
    for j in range(cols.size):
        v = tf[j] / norm
        row = cols[j]
        for c in range(n_members * k):
            d[c] += np.float64(W[row, c]) * v
    proba = np.zeros(n_classes)
    binary = k == 1 and n_classes == 2
    for m in range(n_members):
        p = np.empty(k)
        for c in range(k):
            x = d[m * k + c] + intercept[m, c]
            if calibrated:
                p[c] = 1.0 / (1.0 + np.exp(a[m, c] * x + b[m, c]))
            else:
                p[c] = (min(max(x, -1.0), 1.0) + 1.0) / 2.0
        if binary:
            proba[0] += 1.0 - p[0]
            proba[1] += p[0]
        else:
            total = p.sum()
            for c in range(k):
                proba[c] += p[c] / total if total != 0.0 else 1.0 / n_classes
    for c in range(n_classes):
        proba[c] /= n_members
        if 1.0 < proba[c] <= 1.0 + 1e-5:
            proba[c] = 1.0
    return proba


@njit(cache=True, nogil=True)
def score_rows(
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    rows: np.ndarray,
    qcols: np.ndarray,
    qvals: np.ndarray,
    scratch: np.ndarray,
    bitmap: np.ndarray,
) -> np.ndarray:  # pragma: no cover - compiled
    """``out[j] = <row rows[j], q>`` for the query ``(qcols, qvals)`` (distinct columns).

    ``scratch`` (float32, one slot per column) and ``bitmap`` (uint64, one bit per column) are zero
    on entry and on return. The query is scattered into both; a row's column is first tested in the
    bitmap (small enough for the L1 cache) and the scratch is read only for the few shared grams, so
    a cold 1 MB scratch vector does not cost a cache miss per non-zero."""
    for j in range(qcols.size):
        c = qcols[j]
        scratch[c] = qvals[j]
        bitmap[c >> 6] |= np.uint64(1) << np.uint64(c & 63)
    out = np.empty(rows.size, dtype=np.float64)
    for j in range(rows.size):
        r = rows[j]
        s = 0.0
        for p in range(indptr[r], indptr[r + 1]):
            c = indices[p]
            if (bitmap[c >> 6] >> np.uint64(c & 63)) & np.uint64(1):
                s += np.float64(data[p]) * np.float64(scratch[c])
        out[j] = s
    for j in range(qcols.size):
        c = qcols[j]
        scratch[c] = 0.0
        bitmap[c >> 6] = np.uint64(0)
    return out


@njit(cache=True, nogil=True)
def score_postings(
    col_ptr: np.ndarray,
    col_rows: np.ndarray,
    col_data: np.ndarray,
    qcols: np.ndarray,
    qvals: np.ndarray,
    n_rows: int,
) -> np.ndarray:  # pragma: no cover - compiled
    """``out[r] = <row r, q>`` for every row, reading only the postings of the query's columns."""
    out = np.zeros(n_rows, dtype=np.float64)
    for j in range(qcols.size):
        c = qcols[j]
        v = np.float64(qvals[j])
        for p in range(col_ptr[c], col_ptr[c + 1]):
            out[col_rows[p]] += np.float64(col_data[p]) * v
    return out
