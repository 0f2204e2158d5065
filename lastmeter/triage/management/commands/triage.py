"""`lastmeter triage train|evaluate|load-taxonomy`.

    lastmeter triage train --from FILE.csv [--text-cols 留言主题,留言详情] [--label-col 一级标签] [--with-labels]
    lastmeter triage evaluate --from FILE.csv [--text-cols …] [--label-col …] [--folds 5]
    lastmeter triage load-taxonomy [FILE]

train saves a versioned skops model under VAR_DIR/triage/models (category-v0001.skops, …); the
newest one is used by intake. evaluate prints accuracy, macro-F1 and per-class scores as JSON on
its last line. Bad input: a message and exit code 2.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

TEXT_GUESSES = ("text", "content", "description", "留言详情", "分词文本", "message")
TITLE_GUESSES = ("title", "留言主题", "subject")
LABEL_GUESSES = ("label", "category", "一级标签", "一级分类", "service_code")


class UsageError(CommandError):
    def __init__(self, message: str):
        super().__init__(message, returncode=2)


def read_rows(path: str) -> tuple[list[str], list[dict[str, str]]]:
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{path}: no such file")
    raw = p.read_bytes()
    if p.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except OSError as exc:
            raise UsageError(f"{path}: not gzip ({exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 (convert it, e.g. iconv -f GBK -t UTF-8)") from None
    csv.field_size_limit(10_000_000)
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise UsageError(f"{path}: empty CSV")
    return list(reader.fieldnames), list(reader)


def pick_columns(fields: list[str], text_cols: str | None, label_col: str | None) -> tuple[list[str], str]:
    if text_cols:
        texts = [c.strip() for c in text_cols.split(",") if c.strip()]
    else:
        texts = [c for c in TITLE_GUESSES if c in fields] + [c for c in TEXT_GUESSES if c in fields][:1]
    label = label_col or next((c for c in LABEL_GUESSES if c in fields), "")
    missing = [c for c in [*texts, label] if c not in fields]
    if not texts or not label or missing:
        raise UsageError(
            f"cannot find the columns {missing or 'text/label'} in {fields}; use --text-cols and --label-col"
        )
    return texts, label


def dataset(path: str, text_cols: str | None, label_col: str | None) -> tuple[list[str], list[str]]:
    fields, rows = read_rows(path)
    texts_cols, label = pick_columns(fields, text_cols, label_col)
    texts, labels = [], []
    for row in rows:
        text = " ".join((row.get(c) or "").strip() for c in texts_cols).strip()
        lab = (row.get(label) or "").strip()
        if text and lab:
            texts.append(text)
            labels.append(lab)
    if len(set(labels)) < 2:
        raise UsageError(f"{path}: need rows with at least two distinct labels in column {label!r}")
    return texts, labels


class Command(BaseCommand):
    help = "Train and evaluate the triage classifier; load the category taxonomy."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name in ("train", "evaluate"):
            p = sub.add_parser(name)
            p.add_argument("--from", dest="source", help="CSV (or .csv.gz) with text and label columns")
            p.add_argument("--text-cols", help="comma-separated text columns (joined)")
            p.add_argument("--label-col", help="the label column")
            p.add_argument(
                "--with-labels",
                action="store_true",
                help="add the stored TriageLabel rows (staff corrections)",
            )
            if name == "evaluate":
                p.add_argument("--folds", type=int, default=5)
        t = sub.add_parser("load-taxonomy")
        t.add_argument("file", nargs="?", help="default: lastmeter/triage/data/taxonomy.*")

    def handle(self, *args, **options) -> None:
        action = options["action"]
        if action == "load-taxonomy":
            from lastmeter.triage.services import default_taxonomy_file, load_taxonomy

            path = options.get("file") or default_taxonomy_file()
            if path is None:
                raise UsageError("no taxonomy file given and none in lastmeter/triage/data/")
            try:
                counts = load_taxonomy(path)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
            self.stdout.write(json.dumps(counts, ensure_ascii=False))
            return
        texts: list[str] = []
        labels: list[str] = []
        if options.get("source"):
            texts, labels = dataset(options["source"], options.get("text_cols"), options.get("label_col"))
        extra = self._stored_labels() if options.get("with_labels") else ([], [])
        if not texts and not extra[0]:
            raise UsageError("give --from FILE.csv (and/or --with-labels)")
        if action == "train":
            self._train(texts + extra[0], labels + extra[1])
        else:
            self._evaluate(texts, labels, extra, options["folds"])

    def _stored_labels(self) -> tuple[list[str], list[str]]:
        from lastmeter.triage.models import LabelTask, TriageLabel

        rows = list(TriageLabel.objects.filter(task=LabelTask.CATEGORY).values_list("text", "label"))
        return [t for t, _ in rows], [lab for _, lab in rows]

    def _train(self, texts: list[str], labels: list[str]) -> None:
        from lastmeter.triage.algorithms.classifier import save_model, train
        from lastmeter.triage.services import next_model_path, reset_caches

        try:
            model = train(texts, labels)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        path = next_model_path()
        save_model(model, path)
        reset_caches()
        summary = {"model": str(path), "rows": len(texts), "labels": len(model.labels), **model.meta}
        self.stdout.write(json.dumps(summary, ensure_ascii=False))

    def _evaluate(self, texts, labels, extra, folds: int) -> None:
        from lastmeter.triage.algorithms.evaluate import evaluate

        if not texts:
            raise UsageError("evaluate needs --from FILE.csv")
        try:
            result = evaluate(texts, labels, folds=folds, extra_train=extra if extra[0] else None)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        self.stdout.write(json.dumps(result, ensure_ascii=False, default=float))
        sys.stdout.flush()
