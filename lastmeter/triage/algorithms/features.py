"""Hashed bag-of-n-grams features (pure numpy; stable across processes and machines).

Why not sklearn's TfidfVectorizer: its Python n-gram loop cost ~40 s for 9k letters with character
1–3-grams, over the 60 s training budget once calibration is added, and its vocabulary makes model
files large. Here n-grams are hashed with a fixed 64-bit mixer in numpy (no Python per n-gram), so the
features need no fitted state at all; the IDF weighting is left to sklearn's TfidfTransformer.

Column layout of the returned CSR matrix: ``[0, 2**word_bits)`` word uni/bigrams,
``[2**word_bits, 2**word_bits + 2**char_bits)`` character n-grams.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

_U = np.uint64
_MUL1 = _U(0xBF58476D1CE4E5B9)
_MUL2 = _U(0x94D049BB133111EB)
_GOLD = _U(0x9E3779B97F4A7C15)
_S30, _S27, _S31 = _U(30), _U(27), _U(31)


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a fast, well-spread, deterministic 64-bit hash of 64-bit integers."""
    h = h ^ (h >> _S30)
    h = h * _MUL1
    h = h ^ (h >> _S27)
    h = h * _MUL2
    return h ^ (h >> _S31)


@dataclass(frozen=True)
class HashSpec:
    """Which n-grams and how many hash buckets. Part of a model: changing it needs retraining."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (1, 3)
    word_bits: int = 20
    char_bits: int = 20

    @property
    def n_features(self) -> int:
        return (1 << self.word_bits) + (1 << self.char_bits)


def _ngram_keys(
    units: np.ndarray, doc_of: np.ndarray | None, lo: int, hi: int, bits: int, salt: int
) -> tuple[np.ndarray, np.ndarray]:
    """Buckets of all contiguous n-grams (lo <= n <= hi) that do not cross a document boundary.

    ``units`` is the concatenation of every document's units, ``doc_of[i]`` the document of unit i
    (None: a single document, no boundary to check). Returns ``(doc_index, bucket)`` arrays
    (``doc_index`` is empty for a single document). A polynomial rolling hash builds each n-gram from
    the (n-1)-gram; a single splitmix64 round per n-gram spreads it over the buckets.
    """
    docs_out, cols_out = [], []
    acc: np.ndarray | None = None
    shift = _U(64 - bits)
    with np.errstate(over="ignore"):
        for n in range(1, hi + 1):
            if units.size < n:
                break
            acc = units.copy() if acc is None else acc[:-1] * _GOLD + units[n - 1 :]
            if n < lo:
                continue
            if doc_of is None:
                h = _mix(acc + _U(salt + 0x1000 * n))
            else:
                # An n-gram starting at i is valid when unit i+n-1 lies in the same document as unit i.
                same = doc_of[: doc_of.size - n + 1] == doc_of[n - 1 :]
                h = _mix(acc[same] + _U(salt + 0x1000 * n))
                docs_out.append(doc_of[: doc_of.size - n + 1][same])
            cols_out.append((h >> shift).astype(np.int64))
    if not cols_out:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    docs = np.concatenate(docs_out) if docs_out else np.empty(0, np.int64)
    return docs, np.concatenate(cols_out)


_WORD_SALT = 0x5157
_CHAR_SALT = 0xC4A2


def hashed_doc(words: Sequence[str], chars: str, spec: HashSpec) -> tuple[np.ndarray, np.ndarray]:
    """One document's hashed features as ``(columns, counts)``: columns sorted ascending (int64),
    counts float64. The same columns and counts as its row of :func:`hashed_counts`, computed by the
    compiled kernels (the per-message path: numpy's and scipy's fixed cost per call dominated it)."""
    # Imported on first use: importing numba costs ~2.5 s, which batch feature extraction and
    # training never need.
    from .kernels import count_buckets, ngram_buckets

    keys = ngram_buckets(
        char_units(chars), *spec.char_ngrams, spec.char_bits, _CHAR_SALT, 1 << spec.word_bits
    )
    if words:
        wk = ngram_buckets(word_units(words), *spec.word_ngrams, spec.word_bits, _WORD_SALT, 0)
        keys = np.concatenate([wk, keys])
    return count_buckets(keys)


def word_units(words: Sequence[str]) -> np.ndarray:
    """Stable 32-bit ids of words (crc32 of UTF-8), as uint64 for hashing."""
    return np.fromiter((zlib.crc32(w.encode("utf-8")) for w in words), dtype=_U, count=len(words))


def char_units(text: str) -> np.ndarray:
    """Unicode code points of ``text`` as uint64."""
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(_U)


def hashed_counts(docs: Sequence[tuple[Sequence[str], str]], spec: HashSpec) -> sp.csr_matrix:
    """Count matrix (float32 CSR, one row per doc) of hashed word and character n-grams.

    ``docs`` holds ``(words, chars)`` pairs: the word tokens and the character text of each document.
    All documents are hashed together (a few numpy calls in total, not per document).
    """
    n_docs = len(docs)
    word_lens = np.fromiter((len(w) for w, _ in docs), dtype=np.int64, count=n_docs)
    words = [w for ws, _ in docs for w in ws]
    wd, wc = _ngram_keys(
        word_units(words),
        np.repeat(np.arange(n_docs, dtype=np.int64), word_lens),
        *spec.word_ngrams,
        bits=spec.word_bits,
        salt=_WORD_SALT,
    )
    texts = [c for _, c in docs]
    char_lens = np.fromiter((len(c) for c in texts), dtype=np.int64, count=n_docs)
    cd, cc = _ngram_keys(
        char_units("".join(texts)),
        np.repeat(np.arange(n_docs, dtype=np.int64), char_lens),
        *spec.char_ngrams,
        bits=spec.char_bits,
        salt=_CHAR_SALT,
    )
    n_features = spec.n_features
    keys = np.concatenate([wd * n_features + wc, cd * n_features + cc + (1 << spec.word_bits)])
    keys, counts = np.unique(keys, return_counts=True)
    rows = keys // n_features
    cols = keys - rows * n_features
    indptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_docs), out=indptr[1:])
    return sp.csr_matrix(
        (counts.astype(np.float32), cols.astype(np.int32), indptr), shape=(n_docs, n_features)
    )
