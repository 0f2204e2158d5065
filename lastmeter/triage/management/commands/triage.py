"""`lastmeter triage train|evaluate|train-default|load-taxonomy`.

    lastmeter triage train --from SOURCE [--from SOURCE …] [--where COL=VALUE …] [--with-labels]
    lastmeter triage evaluate --from SOURCE [--from SOURCE …] [--where COL=VALUE …] [--folds 5]
    lastmeter triage evaluate --model PATH --from SOURCE [--from SOURCE …] [--where COL=VALUE …]
    lastmeter triage train-default [--force]
    lastmeter triage load-taxonomy [FILE]

SOURCE is ``FILE[:TEXTCOLS[:LABELCOL]]``: a CSV (or .csv.gz) file, optionally followed by its own
comma-separated text columns (joined with a space) and its label column, so files with different
column names can be combined, e.g. a raw set and a segmented one::

    lastmeter triage train --from raw.csv:留言主题,留言详情:一级标签 \\
                           --from segmented.csv.gz:分词文本:标签

A part left out (``FILE`` or ``FILE:TEXTCOLS``) falls back to ``--text-cols`` / ``--label-col``,
then to the usual names (title/留言主题 + text/留言详情/分词文本, label/一级标签…). A path that itself
contains ``:`` is read whole when that file exists. ``--where COL=VALUE`` (repeatable) keeps only the
rows whose column COL equals VALUE in every file that has that column, e.g. ``--where half=heldout``
on lastmeter/triage/data/examples_zh.csv.

train saves a versioned skops model under VAR_DIR/triage/models (category-v0001.skops, …); the
newest one is used by intake. evaluate without ``--model`` cross-validates on the rows given
(``--folds``); with ``--model PATH`` it scores that saved model on the rows given, which it must
never have been trained on. train-default trains the default model from the project's own phrasings
when no model is in use (see lastmeter/triage/default_model.py); ``--force`` trains a new version
anyway; ``missing_categories`` counts its labels that are no category in the database yet (run
load-taxonomy). Each prints JSON on its last line (evaluate: accuracy, macro_f1, top3_accuracy, per_class).
Bad input (missing file or column, no usable rows, a file that is not a model): a message and exit
code 2.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lastmeter.lib.importfiles import ImportRefused, read_import_text
from lastmeter.triage.algorithms.classifier import load_model, save_model, train
from lastmeter.triage.algorithms.evaluate import evaluate, scores
from lastmeter.triage.default_model import ensure_default_model
from lastmeter.triage.models import LabelTask, TriageLabel
from lastmeter.triage.services import default_taxonomy_file, load_taxonomy, next_model_path, reset_caches

TEXT_GUESSES = ("text", "content", "description", "留言详情", "分词文本", "message")
TITLE_GUESSES = ("title", "留言主题", "subject")
LABEL_GUESSES = ("label", "category", "一级标签", "一级分类", "service_code")


class UsageError(CommandError):
    def __init__(self, message: str):
        super().__init__(message, returncode=2)


def read_rows(path: str) -> tuple[list[str], list[dict[str, str]]]:
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{path}: no such file")
    try:  # size, type (gzip or plain) and UTF-8 checked before a row is read
        text = read_import_text(p)
    except ImportRefused as exc:
        raise UsageError(str(exc)) from None
    csv.field_size_limit(10_000_000)
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise UsageError(f"{path}: empty CSV")
    return list(reader.fieldnames), list(reader)


def pick_columns(
    fields: list[str], text_cols: str | None, label_col: str | None, path: str = ""
) -> tuple[list[str], str]:
    if text_cols:
        texts = [c.strip() for c in text_cols.split(",") if c.strip()]
    else:
        texts = [c for c in TITLE_GUESSES if c in fields] + [c for c in TEXT_GUESSES if c in fields][:1]
    label = label_col or next((c for c in LABEL_GUESSES if c in fields), "")
    missing = [c for c in [*texts, label] if c not in fields]
    if not texts or not label or missing:
        raise UsageError(
            f"{path or 'file'}: cannot find the columns {missing or 'text/label'} in {fields}; name them with "
            "--from FILE:TEXTCOLS:LABELCOL (or --text-cols and --label-col)"
        )
    return texts, label


@dataclass(frozen=True)
class Source:
    """One ``--from`` argument: a file and, optionally, its own text and label columns."""

    path: str
    text_cols: str | None = None
    label_col: str | None = None

    @classmethod
    def parse(cls, spec: str, text_cols: str | None = None, label_col: str | None = None) -> Source:
        """``FILE[:TEXTCOLS[:LABELCOL]]``; empty or absent parts take the defaults given."""
        parts = spec.split(":")
        # The path is the longest prefix naming an existing file (a path may contain ":"); at most
        # two column parts follow it. No such file: the parts after the first two colons from the
        # right are the columns, and the error names what is left.
        cut = next(
            (n for n in range(len(parts), max(0, len(parts) - 3), -1) if Path(":".join(parts[:n])).is_file()),
            len(parts) - min(2, len(parts) - 1),
        )
        rest = [*parts[cut:], "", ""]
        return cls(":".join(parts[:cut]), rest[0] or text_cols, rest[1] or label_col)


def parse_where(items: list[str] | None) -> dict[str, str]:
    where: dict[str, str] = {}
    for item in items or []:
        col, sep, value = item.partition("=")
        if not sep or not col.strip():
            raise UsageError(f"--where {item!r}: give COL=VALUE")
        where[col.strip()] = value.strip()
    return where


def dataset(
    path: str, text_cols: str | None, label_col: str | None, where: dict[str, str] | None = None
) -> tuple[list[str], list[str], list[str]]:
    """Texts, labels and the column names of one file (rows with an empty text or label, or that
    fail a ``where`` condition on a column the file has, are skipped)."""
    fields, rows = read_rows(path)
    texts_cols, label = pick_columns(fields, text_cols, label_col, path)
    conditions = {c: v for c, v in (where or {}).items() if c in fields}
    texts, labels = [], []
    for row in rows:
        if any((row.get(c) or "").strip() != v for c, v in conditions.items()):
            continue
        text = " ".join((row.get(c) or "").strip() for c in texts_cols).strip()
        lab = (row.get(label) or "").strip()
        if text and lab:
            texts.append(text)
            labels.append(lab)
    if not texts:
        raise UsageError(f"{path}: no row with both a text ({', '.join(texts_cols)}) and a label ({label})")
    return texts, labels, fields


def datasets(sources: list[Source], where: dict[str, str]) -> tuple[list[str], list[str]]:
    """The rows of every source, in order."""
    texts: list[str] = []
    labels: list[str] = []
    columns: set[str] = set()
    for s in sources:
        t, lab, fields = dataset(s.path, s.text_cols, s.label_col, where)
        texts += t
        labels += lab
        columns.update(fields)
    unknown = sorted(set(where) - columns)
    if unknown:
        raise UsageError(f"--where: no file has the column(s) {unknown}")
    return texts, labels


class Command(BaseCommand):
    help = "Train and evaluate the triage classifier; train the default model; load the category taxonomy."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name in ("train", "evaluate"):
            p = sub.add_parser(name)
            p.add_argument(
                "--from",
                dest="source",
                action="append",
                metavar="FILE[:TEXTCOLS[:LABELCOL]]",
                help="CSV (or .csv.gz) with text and label columns; repeat to combine files",
            )
            p.add_argument(
                "--text-cols", help="comma-separated text columns (joined) of files that name none"
            )
            p.add_argument("--label-col", help="the label column of files that name none")
            p.add_argument(
                "--where", action="append", metavar="COL=VALUE", help="keep rows whose COL is VALUE"
            )
            p.add_argument(
                "--with-labels",
                action="store_true",
                help="add the stored TriageLabel rows (staff corrections)",
            )
            if name == "evaluate":
                p.add_argument("--folds", type=int, default=5)
                p.add_argument("--model", help="score this saved model file instead of cross-validating")
        d = sub.add_parser("train-default")
        d.add_argument("--force", action="store_true", help="train a new version even if one is in use")
        t = sub.add_parser("load-taxonomy")
        t.add_argument("file", nargs="?", help="default: lastmeter/triage/data/taxonomy.*")

    def handle(self, *args, **options) -> None:
        action = options["action"]
        if action == "load-taxonomy":
            self._load_taxonomy(options.get("file"))
            return
        if action == "train-default":
            self._train_default(options["force"])
            return
        sources = [
            Source.parse(spec, options.get("text_cols"), options.get("label_col"))
            for spec in options.get("source") or []
        ]
        where = parse_where(options.get("where"))
        texts, labels = datasets(sources, where) if sources else ([], [])
        if action == "evaluate" and options.get("model"):
            if options.get("with_labels"):
                raise UsageError("--with-labels trains; a saved model (--model) is only scored")
            self._score_model(options["model"], texts, labels)
            return
        extra = self._stored_labels() if options.get("with_labels") else ([], [])
        if not texts and not extra[0]:
            raise UsageError("give --from FILE.csv (and/or --with-labels)")
        if action == "train":
            self._train(texts + extra[0], labels + extra[1])
        else:
            self._evaluate(texts, labels, extra, options["folds"])

    def _load_taxonomy(self, file: str | None) -> None:
        path = file or default_taxonomy_file()
        if path is None:
            raise UsageError("no taxonomy file given and none in lastmeter/triage/data/")
        try:
            counts = load_taxonomy(path)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        self.stdout.write(json.dumps(counts, ensure_ascii=False))

    def _stored_labels(self) -> tuple[list[str], list[str]]:
        rows = list(TriageLabel.objects.filter(task=LabelTask.CATEGORY).values_list("text", "label"))
        return [t for t, _ in rows], [lab for _, lab in rows]

    def _train(self, texts: list[str], labels: list[str]) -> None:
        try:
            model = train(texts, labels)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        path = next_model_path()
        save_model(model, path)
        reset_caches()
        summary = {"model": str(path), "rows": len(texts), "labels": len(model.labels), **model.meta}
        self.stdout.write(json.dumps(summary, ensure_ascii=False))

    def _train_default(self, force: bool) -> None:
        started = time.perf_counter()
        try:
            result = ensure_default_model(force=force)
        except ValueError as exc:  # an edited examples file with a bad row
            raise UsageError(str(exc)) from None
        summary = {
            "model": str(result.path) if result.path else None,
            "trained": result.trained,
            "reason": result.reason,
            "seconds": round(time.perf_counter() - started, 3),
            "missing_categories": len(result.missing_categories),
            **result.meta,
        }
        self.stdout.write(json.dumps(summary, ensure_ascii=False))

    def _score_model(self, model_path: str, texts: list[str], labels: list[str]) -> None:
        if not texts:
            raise UsageError("evaluate --model needs --from FILE.csv (the rows to score)")
        try:
            model = load_model(model_path)
        except FileNotFoundError:
            raise UsageError(f"{model_path}: no such file") from None
        except (OSError, ValueError) as exc:  # ModelFormatError, UnsafeModelError are ValueErrors
            raise UsageError(str(exc)) from None
        started = time.perf_counter()
        ranked = model.predict_many(texts, k=3)
        seconds = time.perf_counter() - started
        result = scores(labels, [r[0][0] for r in ranked], [[lab for lab, _ in r] for r in ranked])
        known = set(model.labels)
        result.update(
            model=str(model_path),
            unknown_labels=sorted({lab for lab in labels if lab not in known}),
            predict_ms_mean=round(1000 * seconds / len(texts), 3),
        )
        self.stdout.write(json.dumps(result, ensure_ascii=False, default=float))
        sys.stdout.flush()

    def _evaluate(self, texts, labels, extra, folds: int) -> None:
        if not texts:
            raise UsageError("evaluate needs --from FILE.csv")
        try:
            result = evaluate(texts, labels, folds=folds, extra_train=extra if extra[0] else None)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        self.stdout.write(json.dumps(result, ensure_ascii=False, default=float))
        sys.stdout.flush()
