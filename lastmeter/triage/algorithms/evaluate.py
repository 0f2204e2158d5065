"""Cross-validated evaluation of the triage classifier (what ``lastmeter triage evaluate`` prints)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence

import numpy as np

from .classifier import TextInput, TrainConfig, train


def _percentile(xs: list[float], q: float) -> float:
    return float(np.percentile(xs, q)) if xs else float("nan")


def scores(
    y_true: Sequence[str], y_pred: Sequence[str], top_k: Sequence[Sequence[str]] | None = None
) -> dict:
    """Accuracy, macro-F1, optional top-k accuracy and per-class precision/recall/F1/support."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    labels = sorted(set(y_true) | set(y_pred))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    out = {
        "n": len(y_true),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        # Macro over the classes that occur in the truth: a label only ever predicted must not dilute it.
        "macro_f1": float(
            f1_score(y_true, y_pred, labels=sorted(set(y_true)), average="macro", zero_division=0)
        ),
        "per_class": {
            lab: {
                "precision": float(p[i]),
                "recall": float(r[i]),
                "f1": float(f[i]),
                "support": int(s[i]),
            }
            for i, lab in enumerate(labels)
        },
    }
    if top_k is not None:
        hits = sum(1 for t, ks in zip(y_true, top_k, strict=True) if t in ks)
        out["top3_accuracy"] = hits / len(y_true) if y_true else float("nan")
    return out


def evaluate(
    texts: Sequence[TextInput],
    labels: Sequence[str],
    folds: int = 5,
    config: TrainConfig | None = None,
    extra_train: tuple[Sequence[TextInput], Sequence[str]] | None = None,
    seed: int = 0,
) -> dict:
    """Stratified k-fold cross-validation of :func:`classifier.train` on ``texts``/``labels``.

    ``extra_train`` rows are added to every training fold and never tested on (the caller must make
    sure they do not overlap the evaluated texts). Returns a JSON-ready dict: ``accuracy``,
    ``macro_f1``, ``top3_accuracy``, ``per_class``, ``folds``, ``train_seconds`` (mean per fold),
    ``predict_ms`` (per-message latency percentiles of the classifier alone).
    Preconditions: ``folds >= 2``; at least ``folds`` texts; two or more labels.
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    if folds < 2:
        raise ValueError("folds must be at least 2")
    if len(texts) != len(labels):
        raise ValueError(f"texts and labels differ in length ({len(texts)} != {len(labels)})")
    if len(texts) < folds:
        raise ValueError(f"need at least {folds} rows for {folds}-fold evaluation, got {len(texts)}")
    labels = [str(lab) for lab in labels]
    counts = Counter(labels)
    if len(counts) < 2:
        raise ValueError("need at least two distinct labels to evaluate")
    # Stratify when every class can appear in every fold; otherwise plain shuffled folds.
    splitter = (
        StratifiedKFold(folds, shuffle=True, random_state=seed)
        if min(counts.values()) >= folds
        else KFold(folds, shuffle=True, random_state=seed)
    )
    pred: list[str] = [""] * len(texts)
    top: list[list[str]] = [[] for _ in texts]
    train_seconds, latencies_ms = [], []
    for train_idx, test_idx in splitter.split(np.zeros(len(labels)), labels):
        tx = [texts[i] for i in train_idx]
        ty = [labels[i] for i in train_idx]
        if extra_train is not None:
            tx += list(extra_train[0])
            ty += list(extra_train[1])
        started = time.perf_counter()
        model = train(tx, ty, config)
        train_seconds.append(time.perf_counter() - started)
        for i in test_idx:
            t0 = time.perf_counter()
            ranked = model.predict(texts[i], k=3)
            latencies_ms.append((time.perf_counter() - t0) * 1000)
            pred[i] = ranked[0][0]
            top[i] = [lab for lab, _ in ranked]
    out = scores(labels, pred, top)
    out.update(
        folds=folds,
        train_seconds=float(np.mean(train_seconds)),
        predict_ms={"p50": _percentile(latencies_ms, 50), "p99": _percentile(latencies_ms, 99)},
        extra_train_rows=len(extra_train[0]) if extra_train is not None else 0,
    )
    return out
