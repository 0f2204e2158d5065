"""The default category model: trained from phrasings the project wrote itself, no other data.

``data/examples_zh.csv`` holds labelled phrasings of residents' appeals (written for lastmeter:
colloquial, short chat lines, long letters, typos, voice-to-text, mixed Chinese and English), one
row per phrasing, labelled with a code of the shipped taxonomy (``data/taxonomy.csv``). Its ``half``
column splits it for good: ``heldout`` when ``crc32(text) % 4 == 0`` (``split_of``), else ``train``.
The model is trained on the ``train`` rows plus the taxonomy's own keywords and names of the labels
used; the ``heldout`` rows are only ever scored (:func:`heldout_scores`, the test suite).

``ensure_default_model()`` trains and saves that model as the next versioned skops file under
VAR_DIR/triage/models — the file intake's ``triage.services.classify`` uses — when there is no
model yet, or when the newest model is an earlier default model trained on other examples (an
upgrade). A model someone trained with ``lastmeter triage train`` is never replaced. Nothing here
reads ``../shared``: a fresh clone gets the same model.

Measured on this machine (2 shared cores): training takes ~1.5 s; see data/README.md for the
held-out figures.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import os
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lastmeter.appeals.models import Category
from lastmeter.triage.algorithms.classifier import Model, TrainConfig, read_model_header, save_model, train
from lastmeter.triage.algorithms.evaluate import scores
from lastmeter.triage.algorithms.taxonomy import Taxonomy, load_taxonomy
from lastmeter.triage.services import model_files, next_model_path, reset_caches

log = logging.getLogger("lastmeter.triage")

EXAMPLES = Path(__file__).resolve().parent / "data" / "examples_zh.csv"
HALVES = ("train", "heldout")
HELDOUT_EVERY = 4  # one phrasing in four (by crc32 of its text) is held out
STYLES = frozenset(
    {"short", "colloquial", "plain", "letter", "typo", "voice", "mixed", "english", "emoji", "mention"}
)
# Chosen by 4-fold cross-validation on the training half only (see data/README.md): sigmoid
# calibration cost ~5 s per training and 0.02-0.03 accuracy on 36 classes of ~20 phrasings, and the
# bench's alpha (1e-5, for thousands of letters per class) over-fits these few short texts.
DEFAULT_CONFIG = TrainConfig(alpha=1e-3, calibrate=False)
META_KEY = "default_model"


def split_of(text: str) -> str:
    """``heldout`` or ``train``: a function of the text alone, so a phrasing never changes half."""
    return "heldout" if zlib.crc32(text.encode("utf-8")) % HELDOUT_EVERY == 0 else "train"


@dataclass(frozen=True)
class Example:
    id: int
    label: str
    style: str
    half: str
    text: str


def read_examples(path: str | Path = EXAMPLES, taxonomy: Taxonomy | None = None) -> list[Example]:
    """The labelled phrasings of ``path``. Raises ValueError naming the line when a row has an
    unknown label, style or half, a half that is not ``split_of(text)``, or a repeated text."""
    path = Path(path)
    taxonomy = taxonomy or load_taxonomy()
    out: list[Example] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            text = (row.get("text") or "").strip()
            label = (row.get("label") or "").strip()
            where = f"{path.name}:{line}"
            if not text or label not in taxonomy.by_code:
                raise ValueError(f"{where}: empty text or label {label!r} not in the taxonomy")
            if row.get("style") not in STYLES or row.get("half") != split_of(text):
                raise ValueError(f"{where}: style must be one of {sorted(STYLES)}, half {split_of(text)!r}")
            if text in seen:
                raise ValueError(f"{where}: the same text twice")
            seen.add(text)
            out.append(Example(int(row["id"]), label, row["style"], row["half"], text))
    return out


def keyword_rows(labels: Iterable[str], taxonomy: Taxonomy) -> list[tuple[str, str]]:
    """(text, label) rows from the taxonomy itself: each label's keywords and Chinese name."""
    rows = []
    for label in sorted(set(labels)):
        cat = taxonomy.by_code[label]
        rows += [(k, label) for k in (*cat.keywords, cat.name)]
    return rows


def training_rows(examples: list[Example], taxonomy: Taxonomy) -> tuple[list[str], list[str]]:
    """Texts and labels the default model is trained on: the ``train`` half and the keyword rows."""
    rows = [(e.text, e.label) for e in examples if e.half == "train"]
    rows += keyword_rows((e.label for e in examples), taxonomy)
    return [t for t, _ in rows], [lab for _, lab in rows]


def heldout_scores(model: Model, examples: list[Example]) -> dict[str, Any]:
    """Accuracy, macro-F1, top-3 accuracy and per-class scores on the ``heldout`` half."""
    held = [e for e in examples if e.half == "heldout"]
    ranked = model.predict_many([e.text for e in held], k=3)
    return scores([e.label for e in held], [r[0][0] for r in ranked], [[lab for lab, _ in r] for r in ranked])


def examples_digest(path: str | Path = EXAMPLES) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def train_default(path: str | Path = EXAMPLES) -> Model:
    """Train the default model on the training half of ``path``; its ``meta[META_KEY]`` records the
    examples file's digest, the row counts and the held-out scores."""
    taxonomy = load_taxonomy()
    examples = read_examples(path, taxonomy)
    texts, labels = training_rows(examples, taxonomy)
    model = train(texts, labels, DEFAULT_CONFIG)
    held = heldout_scores(model, examples)
    model.meta[META_KEY] = {
        "examples": Path(path).name,
        "sha256": examples_digest(path),
        "train_rows": sum(1 for e in examples if e.half == "train"),
        "keyword_rows": len(texts) - sum(1 for e in examples if e.half == "train"),
        "heldout_rows": held["n"],
        "heldout_accuracy": round(held["accuracy"], 4),
        "heldout_macro_f1": round(held["macro_f1"], 4),
        "heldout_top3_accuracy": round(held["top3_accuracy"], 4),
    }
    return model


@dataclass
class DefaultModelResult:
    path: Path | None  # the model intake uses now (None only if training failed)
    trained: bool
    reason: str
    meta: dict[str, Any] = field(default_factory=dict)
    # Labels of the model with no Category row: classify() cannot give them (load the taxonomy).
    missing_categories: list[str] = field(default_factory=list)


def missing_categories(labels: Iterable[str]) -> list[str]:
    """The ``labels`` that are no category code in the database, sorted."""
    wanted = set(labels)
    return sorted(wanted - set(Category.objects.filter(code__in=wanted).values_list("code", flat=True)))


def _labels_of(path: Path) -> list[str]:
    meta = read_model_header(path).get("meta") or {}
    return list(meta.get("class_counts", {})) if isinstance(meta, dict) else []


def _current_default_digest(newest: Path) -> str | None:
    """The examples digest of ``newest`` if it is a default model, "" if it is another model, None
    if it cannot be read (then a default model is trained). Reads the file's small JSON header only."""
    try:
        meta = read_model_header(newest).get("meta") or {}
    except (OSError, ValueError) as exc:
        log.warning("cannot read triage model %s: %s", newest, exc)
        return None
    info = meta.get(META_KEY) if isinstance(meta, dict) else None
    return str(info.get("sha256", "")) if isinstance(info, dict) else ""


def ensure_default_model(*, force: bool = False, path: str | Path = EXAMPLES) -> DefaultModelResult:
    """Make sure intake has a category model: train and save the default one when there is no model
    file, when the newest is an unreadable file or a default model of other examples, or when
    ``force``. Safe to call at every start (``lastmeter demo``, ``lastmeter triage train-default``).
    The file is written under a temporary name and renamed, so no process reads half a model.

    The model's labels are codes of the shipped taxonomy: load it first (``load_taxonomy``, after the
    departments exist so its categories link to them); ``missing_categories`` of the result lists
    the labels without a Category row, which classify() cannot answer with."""
    result = _ensure(force, path)
    if result.path is not None:
        result.missing_categories = missing_categories(_labels_of(result.path))
        if result.missing_categories:
            log.warning(
                "triage model %s: %d of its categories are not in the database; load the taxonomy "
                "(lastmeter triage load-taxonomy)",
                result.path.name,
                len(result.missing_categories),
            )
    return result


def _ensure(force: bool, path: str | Path) -> DefaultModelResult:
    files = model_files()
    if files and not force:
        digest = _current_default_digest(files[-1])
        if digest == "":
            return DefaultModelResult(
                files[-1], False, "a model trained with `lastmeter triage train` is in use"
            )
        if digest == examples_digest(path):
            return DefaultModelResult(files[-1], False, "the default model is up to date")
    model = train_default(path)
    target = next_model_path()
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    save_model(model, partial)
    os.replace(partial, target)
    reset_caches()
    return DefaultModelResult(target, True, "trained the default model", dict(model.meta))
