"""Trainable text classifier for triage (category / department / agency / message kind).

Features: TF-IDF over hashed character 1–3-grams of the first 600 characters (robust to
segmentation errors and typos, and language-neutral), optionally plus hashed jieba word uni+bigrams
of the first ``word_max_chars`` characters; see features.py. Words are off by default: on the Chinese
7-class bench they add ~0.008 macro-F1 (3-seed means: 0.892 without, 0.899 with words of the first
100 characters, 0.896 with 60) but jieba costs ~0.7 ms per letter: the whole triage step of a
letter went from CPU p50 1.07 / p99 2.96 ms to 1.78 / 3.81 ms with words (same process, messages
interleaved, a loaded 2-core machine), past the 3.5 ms p99 aim. Classifier: a linear model trained
by SGD with the modified-Huber loss, its scores calibrated into probabilities (sigmoid, 3-fold
cross-validation) so the top-3 list carries meaningful scores. Classes with fewer than three examples
cannot be calibrated: the model then uses the loss's own probability estimate.

Model files are written with ``skops.io`` (no pickle). :func:`load_model` reads a small JSON member
first and refuses a file of another format version, then refuses any Python type outside
:data:`TRUSTED_TYPES` before anything is built from the file.
"""

from __future__ import annotations

import json
import time
import warnings
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .features import HashSpec, hashed_counts, hashed_doc
from .text import Prepared, char_text, clean_pretokenised, tokens

MODEL_FORMAT_VERSION = 1
_META_MEMBER = "lastmeter-model.json"
_KIND = "lastmeter.triage.classifier"

# Types a model file may contain beyond those skops trusts by default. Listed explicitly: a file that
# asks for anything else is refused (it was not written by this module).
TRUSTED_TYPES: tuple[str, ...] = (
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
)

# Text of a message (str) or an already segmented one (list of words, e.g. a jieba-segmented export).
TextInput = str | Sequence[str]


class ModelFormatError(ValueError):
    """The file is not a lastmeter triage model of the version this code reads."""


class UnsafeModelError(ValueError):
    """The file asks to build Python types this code does not trust."""


@dataclass(frozen=True)
class TrainConfig:
    """Knobs of :func:`train`. Defaults were chosen on the bench (bench/triage_eval.py).

    ``word_max_chars`` / ``char_max_chars`` bound the work per message: long letters state their
    topic in the title and first lines, so only the first characters are segmented (word features)
    and hashed (character features); ``word_max_chars=0`` (the default) turns word features off —
    give ``word_bits`` ~18 when turning them on (10 only keeps the unused word block small). On the
    bench: 400 instead of 600 characters cost 0.009 macro-F1, character 1–4-grams 0.005; neither
    was kept.
    """

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (1, 3)
    word_bits: int = 10
    char_bits: int = 18
    word_max_chars: int = 0
    char_max_chars: int = 600
    alpha: float = 1e-5
    calibrate: bool = True
    class_weight: str | None = "balanced"
    seed: int = 0

    @property
    def hash_spec(self) -> HashSpec:
        return HashSpec(
            word_ngrams=(self.word_ngrams[0], self.word_ngrams[1]),
            char_ngrams=(self.char_ngrams[0], self.char_ngrams[1]),
            word_bits=self.word_bits,
            char_bits=self.char_bits,
        )


@dataclass
class Model:
    """A trained classifier. ``predict`` returns the top ``k`` ``(label, score)`` pairs, best first;
    scores are probabilities in [0, 1] summing to at most 1 over all labels."""

    labels: tuple[str, ...]
    pipeline: Any
    config: TrainConfig = field(default_factory=TrainConfig)
    meta: dict[str, Any] = field(default_factory=dict)
    _fast: _FastScorer | None = field(default=None, init=False, repr=False, compare=False)
    _no_fast: bool = field(default=False, init=False, repr=False, compare=False)

    def predict(self, text: TextInput | Prepared, k: int = 3) -> list[tuple[str, float]]:
        """Top ``k`` labels of one message. The per-message path: features and scores in a few
        numpy calls, no sparse matrix (see :class:`_FastScorer`)."""
        fast = self._scorer()
        if fast is None:
            return self.predict_many([text], k=k)[0]
        words, chars = _one_doc(text, self.config)
        cols, counts = hashed_doc(words, chars, self.config.hash_spec)
        return self._top(fast.proba_one(cols, counts), k)

    def predict_many(
        self, texts: Sequence[TextInput | Prepared], k: int = 3
    ) -> list[list[tuple[str, float]]]:
        if not texts:
            return []
        proba = self.predict_proba(texts)
        return [self._top(row, k) for row in proba]

    def _top(self, row: np.ndarray, k: int) -> list[tuple[str, float]]:
        k = max(1, min(k, len(self.labels)))
        top = np.argsort(-row, kind="stable")[:k]
        return [(self.labels[i], float(row[i])) for i in top]

    def _scorer(self) -> _FastScorer | None:
        if self._fast is None and not self._no_fast:
            self._fast = _FastScorer.from_pipeline(self.pipeline, len(self.labels))
            self._no_fast = self._fast is None
        return self._fast

    def predict_proba(self, texts: Sequence[TextInput | Prepared]) -> np.ndarray:
        """Probability matrix, one row per text, columns in the order of ``self.labels``."""
        X = featurise(texts, self.config)
        fast = self._scorer()
        if fast is None:
            return np.asarray(self.pipeline.predict_proba(X))
        return fast.proba(X.indices.astype(np.int64), X.data.astype(np.float64), X.indptr.astype(np.int64))

    def predict_proba_reference(self, texts: Sequence[TextInput | Prepared]) -> np.ndarray:
        """Same as :meth:`predict_proba` through sklearn's own code path (slow; for tests)."""
        return np.asarray(self.pipeline.predict_proba(featurise(texts, self.config)))


class _FastScorer:
    """The fitted pipeline's arithmetic without sklearn's per-call validation.

    sklearn spends ~10 ms per single-row call validating inputs and copying the transposed
    coefficient matrix; here the same TF-IDF weighting, linear scores and sigmoid calibration are a
    few numpy operations on the rows of one matrix ``W`` (features x members*classes) in which the
    IDF weights are already folded: a message's score needs only the rows of the features it has.
    ``Model.predict_proba_reference`` is the slow path tests compare against.
    """

    def __init__(
        self,
        idf: np.ndarray,
        W: np.ndarray,
        intercept: np.ndarray,
        a: np.ndarray | None,
        b: np.ndarray | None,
        n_classes: int,
    ):
        self.idf = idf  # (F,)
        self.W = W  # (F, M*K) float32, row f = idf[f] * coefficients of feature f for every member
        self.intercept = intercept  # (M, K)
        self.a, self.b = a, b  # (M, K) sigmoid calibration of each member, or None (uncalibrated)
        self.n_members, self.k = intercept.shape
        self.n_classes = n_classes
        zeros = np.zeros_like(intercept)
        self._a1 = zeros if a is None else a
        self._b1 = zeros if b is None else b

    def proba_one(self, cols: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """:meth:`proba` of one document given as sorted distinct columns and their counts (one
        compiled call: ~10-50 µs instead of ~200 µs of numpy calls)."""
        # Imported on first use: importing numba costs ~2.5 s, which training and every CLI run
        # that never classifies one message at a time should not pay.
        from .kernels import classifier_proba

        return classifier_proba(
            cols,
            counts,
            self.idf,
            self.W,
            self.intercept,
            self._a1,
            self._b1,
            self.a is not None,
            self.n_classes,
        )

    @classmethod
    def from_pipeline(cls, pipeline: Any, n_classes: int) -> _FastScorer | None:
        """Build from a pipeline made by ``_build_pipeline``; None if its shape is not the expected one."""
        try:
            tfidf, clf = pipeline.named_steps["tfidf"], pipeline.named_steps["clf"]
            if not (tfidf.sublinear_tf and tfidf.norm == "l2" and tfidf.use_idf):
                return None
            coefs, intercepts, a_rows, b_rows = [], [], [], []
            if hasattr(clf, "calibrated_classifiers_"):
                for cc in clf.calibrated_classifiers_:
                    est = cc.estimator
                    if cc.method != "sigmoid" or list(est.classes_) != list(clf.classes_):
                        return None
                    coefs.append(est.coef_.T)
                    intercepts.append(est.intercept_)
                    a_rows.append([c.a_ for c in cc.calibrators])
                    b_rows.append([c.b_ for c in cc.calibrators])
            else:
                if clf.loss != "modified_huber":
                    return None
                coefs.append(clf.coef_.T)
                intercepts.append(clf.intercept_)
            idf = np.asarray(tfidf.idf_, dtype=np.float64)
            W = np.ascontiguousarray(np.hstack(coefs) * idf[:, None], dtype=np.float32)
            a = np.array(a_rows, dtype=np.float64) if a_rows else None
            b = np.array(b_rows, dtype=np.float64) if b_rows else None
            return cls(idf, W, np.array(intercepts, dtype=np.float64), a, b, n_classes)
        except (AttributeError, KeyError):
            return None

    def proba(self, indices: np.ndarray, counts: np.ndarray, indptr: np.ndarray) -> np.ndarray:
        """Probabilities of the documents given as CSR arrays of raw counts (one row per document)."""
        n_docs = indptr.size - 1
        tf = np.log(counts) + 1.0  # sublinear tf
        w = tf * self.idf[indices]
        row_len = np.diff(indptr)
        nonempty = row_len > 0
        sq = np.zeros(n_docs)
        if w.size:
            sq[nonempty] = np.add.reduceat(w * w, indptr[:-1][nonempty])
        norms = np.sqrt(sq)
        norms[norms == 0] = 1.0
        vals = tf / np.repeat(norms, row_len)
        d = np.zeros((n_docs, self.W.shape[1]))
        if vals.size:
            # Sparse rows times dense W by gathering only the rows of W that occur: scipy's csr @ dense
            # showed ~10 ms per call here on a 500k x K matrix.
            d[nonempty] = np.add.reduceat(self.W[indices] * vals[:, None], indptr[:-1][nonempty])
        d = d.reshape(n_docs, self.n_members, self.k) + self.intercept
        if self.a is not None and self.b is not None:
            p = 1.0 / (1.0 + np.exp(self.a * d + self.b))
        else:
            p = (np.clip(d, -1.0, 1.0) + 1.0) / 2.0
        if self.k == 1 and self.n_classes == 2:
            p = np.concatenate([1.0 - p, p], axis=2)
        else:
            sums = p.sum(axis=2, keepdims=True)
            p = np.divide(p, sums, out=np.full_like(p, 1.0 / self.n_classes), where=sums != 0)
        proba = p.mean(axis=1)
        proba[(proba > 1.0) & (proba <= 1.0 + 1e-5)] = 1.0
        return proba


def _truncate_words(words: list[str], max_chars: int) -> list[str]:
    kept, n = [], 0
    for w in words:
        n += len(w)
        if n > max_chars:
            break
        kept.append(w)
    return kept


def _one_doc(text: TextInput | Prepared, config: TrainConfig) -> tuple[list[str], str]:
    if isinstance(text, str | Prepared):
        words = tokens(text, max_chars=config.word_max_chars) if config.word_max_chars > 0 else []
        return words, char_text(text, max_chars=config.char_max_chars)
    # Already segmented (e.g. an export with stop words removed): same spans as for raw text.
    words = clean_pretokenised(list(text))
    chars = char_text(" ".join(words), max_chars=config.char_max_chars)
    return _truncate_words(words, config.word_max_chars), chars


def featurise(texts: Sequence[TextInput | Prepared], config: TrainConfig) -> sp.csr_matrix:
    """Hashed count matrix (CSR) of ``texts`` as the model's pipeline expects it."""
    return hashed_counts([_one_doc(t, config) for t in texts], config.hash_spec)


def _build_pipeline(config: TrainConfig, calibrate: bool):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import Pipeline

    # modified_huber: a linear SVM-like loss (accurate on sparse text) that SGD fits in seconds; the
    # sigmoid calibration on 3 folds turns its margins into probabilities for the top-3 list.
    sgd = SGDClassifier(
        loss="modified_huber",
        alpha=config.alpha,
        class_weight=config.class_weight,
        random_state=config.seed,
        max_iter=30,
        tol=1e-3,
    )
    clf = CalibratedClassifierCV(sgd, method="sigmoid", cv=3, ensemble=True) if calibrate else sgd
    return Pipeline([("tfidf", TfidfTransformer(sublinear_tf=True)), ("clf", clf)])


def train(texts: Sequence[TextInput], labels: Sequence[str], config: TrainConfig | None = None) -> Model:
    """Train a classifier on ``texts`` (raw strings, or lists of words) and their ``labels``.

    Preconditions: same length, at least two distinct labels, at least one non-empty text. Staff
    corrections are simply more rows: append them and train again (a label seen once is fine; it is
    predicted with uncalibrated scores until it has three examples).
    """
    config = config or TrainConfig()
    if len(texts) != len(labels):
        raise ValueError(f"texts and labels differ in length ({len(texts)} != {len(labels)})")
    labels = [str(lab).strip() for lab in labels]
    if any(not lab for lab in labels):
        raise ValueError("empty label in training data")
    counts = Counter(labels)
    if len(counts) < 2:
        raise ValueError(f"need at least two distinct labels to train, got {sorted(counts)}")
    calibrate = config.calibrate and min(counts.values()) >= 3
    started = time.perf_counter()
    pipe = _build_pipeline(config, calibrate)
    X = featurise(texts, config)
    from sklearn.exceptions import ConvergenceWarning  # sklearn is imported only to train or load

    try:
        with warnings.catch_warnings():
            # max_iter is capped on purpose (training budget); the last epochs change little.
            warnings.filterwarnings("ignore", category=ConvergenceWarning)
            pipe.fit(X, labels)
    except ValueError as exc:  # e.g. every text empty after tokenisation
        raise ValueError(f"cannot train on these texts: {exc}") from exc
    classes = tuple(str(c) for c in pipe.classes_)
    meta = {
        "n_samples": len(labels),
        "class_counts": dict(sorted(counts.items())),
        "calibrated": calibrate,
        "train_seconds": round(time.perf_counter() - started, 3),
    }
    return Model(labels=classes, pipeline=pipe, config=config, meta=meta)


def save_model(model: Model, path: str | Path) -> None:
    """Write ``model`` to ``path`` as a skops file carrying the model format version."""
    import skops.io as sio

    path = Path(path)
    payload = {
        "format_version": MODEL_FORMAT_VERSION,
        "labels": list(model.labels),
        "pipeline": model.pipeline,
        "config": _config_to_dict(model.config),
        "meta": model.meta,
    }
    # Deflate: most hashed features never occur, so coefficient arrays are mostly zeros.
    sio.dump(payload, path, compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    # The meta (JSON-ready: counts, timings, provenance) is repeated in the header, so a caller can
    # tell which model a file holds without loading its arrays (read_model_header).
    header = {"kind": _KIND, "format_version": MODEL_FORMAT_VERSION, "meta": model.meta}
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(_META_MEMBER, json.dumps(header))


def _config_to_dict(config: TrainConfig) -> dict:
    d = asdict(config)
    for key in ("word_ngrams", "char_ngrams"):
        d[key] = list(d[key])
    return d


def read_model_header(path: str | Path) -> dict:
    """The JSON header of a model file (``kind``, ``format_version`` and, for files written since
    it was added, the model's ``meta``); raises ModelFormatError if it is not one."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            header = json.loads(zf.read(_META_MEMBER))
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFormatError(f"{path}: not a lastmeter triage model file ({exc})") from exc
    if not isinstance(header, dict) or header.get("kind") != _KIND:
        raise ModelFormatError(f"{path}: not a lastmeter triage model file")
    return header


def load_model(path: str | Path) -> Model:
    """Read a model written by :func:`save_model`.

    Raises ModelFormatError for another format version (retrain with ``lastmeter triage train``) and
    UnsafeModelError when the file needs types outside :data:`TRUSTED_TYPES`.
    """
    import skops.io as sio

    path = Path(path)
    header = read_model_header(path)
    version = header.get("format_version")
    if version != MODEL_FORMAT_VERSION:
        raise ModelFormatError(
            f"{path}: model format version {version!r}, this lastmeter reads version "
            f"{MODEL_FORMAT_VERSION}; retrain the model (lastmeter triage train)"
        )
    untrusted = set(sio.get_untrusted_types(file=path))
    refused = sorted(untrusted - set(TRUSTED_TYPES))
    if refused:
        raise UnsafeModelError(f"{path}: refusing to load untrusted types {refused}")
    payload = sio.load(path, trusted=sorted(untrusted))
    if not isinstance(payload, dict) or payload.get("format_version") != MODEL_FORMAT_VERSION:
        raise ModelFormatError(f"{path}: inconsistent model file (header and body versions differ)")
    cfg = dict(payload["config"])
    for key in ("word_ngrams", "char_ngrams"):
        cfg[key] = tuple(cfg[key])
    return Model(
        labels=tuple(payload["labels"]),
        pipeline=payload["pipeline"],
        config=TrainConfig(**cfg),
        meta=dict(payload["meta"]),
    )
