"""Text normalisation and hashed n-gram features."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lastmeter.triage.algorithms.features import HashSpec, hashed_counts
from lastmeter.triage.algorithms.text import char_text, clean_pretokenised, normalise, strip_noise, tokens

SMALL = HashSpec(word_bits=10, char_bits=10)


def test_it_normalises_full_width_case_and_spreadsheet_artefacts():
    assert normalise("ＡＢＣ１２３_x000D_路口  Main St") == "abc123 路口 main st"


def test_it_strips_mentions_and_links():
    assert strip_noise("@社区民警 看这里 https://x.cn/a 路灯坏了") == "看这里 路灯坏了"


def test_it_tokenises_chinese_with_jieba_and_english_with_words():
    assert "违停" in tokens("门口有车违停") or "违" in tokens("门口有车违停")
    assert tokens("Car parked on the SIDEWALK!") == ["car", "parked", "on", "the", "sidewalk"]
    assert tokens("   ") == []


def test_it_cleans_pretokenised_words():
    assert clean_pretokenised("市 西湖 _x000D_ ， 施工") == ["市", "西湖", "施工"]


def test_it_joins_segmented_chinese_for_char_features():
    assert char_text("西湖 建筑 集团") == "西湖建筑集团"
    assert char_text("main st") == "main st"


@given(st.text(max_size=60))
def test_it_normalises_idempotently(s):
    assert normalise(normalise(s)) == normalise(s)


def test_it_counts_every_ngram_once_per_occurrence():
    m = hashed_counts([(["a", "b", "a"], "xyz")], SMALL)
    # words: 3 unigrams + 2 bigrams; chars: 3 + 2 + 1
    assert m.sum() == 5 + 6
    assert m.shape == (1, SMALL.n_features)


def test_it_hashes_stably_across_runs():
    # A change of hash function silently invalidates saved models: pin one value.
    m = hashed_counts([([], "违")], SMALL)
    assert m.indices.tolist() == [hashed_counts([([], "违")], SMALL).indices[0]]
    assert int(m.indices[0]) == 1405


docs = st.lists(
    st.tuples(
        st.lists(st.sampled_from(["路", "灯", "坏", "了", "x"]), max_size=6), st.text("abc路灯", max_size=8)
    ),
    max_size=5,
)


@settings(max_examples=60, deadline=None)
@given(docs)
def test_it_hashes_a_batch_like_one_document_at_a_time(batch):
    together = hashed_counts(batch, SMALL).toarray()
    for i, doc in enumerate(batch):
        alone = hashed_counts([doc], SMALL).toarray()[0]
        assert np.array_equal(together[i], alone)
