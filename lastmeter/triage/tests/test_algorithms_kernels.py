"""Compiled kernels against the numpy/scipy code they replace on the per-message path."""

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from lastmeter.triage.algorithms.features import HashSpec, hashed_counts, hashed_doc
from lastmeter.triage.algorithms.kernels import score_postings, score_rows

SPEC = HashSpec(word_ngrams=(1, 2), char_ngrams=(1, 3), word_bits=8, char_bits=10)


def test_it_hashes_one_document_by_hand():
    cols, counts = hashed_doc(
        [], "aa", HashSpec(word_ngrams=(1, 1), char_ngrams=(1, 2), word_bits=1, char_bits=18)
    )
    # "a" twice and "aa" once: two distinct buckets, in the character block (after 2**1 word columns).
    assert sorted(counts.tolist()) == [1.0, 2.0] and (cols >= 2).all()
    assert hashed_doc([], "", SPEC)[0].size == 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(alphabet="违停车噪音ab 1", max_size=4), max_size=6),
    st.text(alphabet="违停车噪音偷小区 parkingnoise😀", max_size=40),
)
def test_it_hashes_one_document_like_the_matrix_builder(words, chars):
    cols, counts = hashed_doc(words, chars, SPEC)
    row = hashed_counts([(words, chars)], SPEC)
    assert cols.tolist() == row.indices.tolist()
    assert counts.tolist() == row.data.tolist()


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 40), st.integers(1, 60), st.floats(0.05, 0.9), st.integers(0, 2**31 - 1))
def test_it_scores_rows_and_postings_like_a_sparse_product(n_rows, n_cols, density, seed):
    rng = np.random.default_rng(seed)
    m = sp.random(n_rows, n_cols, density=density, format="csr", dtype=np.float32, random_state=rng)
    m.sort_indices()
    qcols = np.unique(rng.integers(0, n_cols, size=rng.integers(1, n_cols + 1))).astype(np.int64)
    qvals = rng.random(qcols.size).astype(np.float32)
    q = np.zeros(n_cols)
    q[qcols] = qvals
    want = m.astype(np.float64) @ q
    rows = np.sort(rng.choice(n_rows, size=rng.integers(0, n_rows + 1), replace=False)).astype(np.int64)
    scratch = np.zeros(n_cols, dtype=np.float32)
    bitmap = np.zeros((n_cols + 63) // 64, dtype=np.uint64)
    got = score_rows(
        m.indptr.astype(np.int64), m.indices.astype(np.int32), m.data, rows, qcols, qvals, scratch, bitmap
    )
    assert np.allclose(got, want[rows], rtol=1e-12, atol=1e-12)
    assert not scratch.any() and not bitmap.any()  # left clean for the next query
    csc = m.tocsc()
    csc.sort_indices()
    every = score_postings(
        csc.indptr.astype(np.int64), csc.indices.astype(np.int32), csc.data, qcols, qvals, n_rows
    )
    assert np.allclose(every, want, rtol=1e-12, atol=1e-12)
