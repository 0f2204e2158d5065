"""Triage evaluation: classifier quality, whole-step latency, training time, duplicate detection.

Reads ../shared/data (never copied into the repo):
 (a) cn_appeals/labelled_raw_dev.csv — 7 department classes, 5-fold CV. The larger segmented set
     (labelled_segmented_dev.csv.gz) is added to every training fold after removing its rows that
     are the raw rows themselves (found by word containment; the count is reported).
 (b) en_311/nyc_311_samples_2024.csv — complaint type + descriptor -> agency, 5-fold CV.
 (c) duplicates built from cn_appeals/unlabelled_4326.csv.gz (how: see build_duplicate_set).
Baselines in the same run: majority class, and plain bag-of-words (jieba words, multinomial naive
Bayes) on the same folds; duplicate baseline: "nearest open appeal in range" ignoring text.

Run: .venv/bin/python bench/triage_eval.py [--quick]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import math
import os
import random
import re
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import percentiles, require_data, write_result

from lastmeter.triage.algorithms import text as T
from lastmeter.triage.algorithms.classifier import TrainConfig, train
from lastmeter.triage.algorithms.duplicates import DuplicateIndex, OpenAppeal
from lastmeter.triage.algorithms.evaluate import evaluate, scores
from lastmeter.triage.algorithms.gazetteer import Gazetteer
from lastmeter.triage.algorithms.pipeline import Triage
from lastmeter.triage.algorithms.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parent.parent
OSM = ROOT / "lastmeter" / "roads" / "data" / "shanghai_central_osmnx_drive.osm.gz"


def read_csv(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def parse_time(s: str) -> float:
    for fmt in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M"):
        try:
            return datetime.strptime(s.strip(), fmt).timestamp()  # noqa: DTZ007 (naive local, only differences matter)
        except ValueError:
            pass
    raise ValueError(f"unparsable time {s!r}")


# ------------------------------------------------------------------------------------ baselines
def baseline_cv(texts, labels, extra, folds=5, seed=0) -> dict:
    """Majority class and plain bag-of-words (jieba word counts + multinomial NB), same folds."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.model_selection import StratifiedKFold
    from sklearn.naive_bayes import MultinomialNB

    def words(t):
        return " ".join(T.tokens(t) if isinstance(t, str) else T.clean_pretokenised(list(t)))

    docs = [words(t) for t in texts]
    extra_docs = [words(t) for t in extra[0]] if extra else []
    pred_maj, pred_bow, top_bow = [""] * len(texts), [""] * len(texts), [[] for _ in texts]
    skf = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for tr, te in skf.split(docs, labels):
        ty = [labels[i] for i in tr] + (list(extra[1]) if extra else [])
        tx = [docs[i] for i in tr] + extra_docs
        majority = Counter(ty).most_common(1)[0][0]
        vec = CountVectorizer(token_pattern=r"\S+", lowercase=False)
        nb = MultinomialNB().fit(vec.fit_transform(tx), ty)
        proba = nb.predict_proba(vec.transform([docs[i] for i in te]))
        for row, i in zip(proba, te, strict=True):
            order = row.argsort()[::-1][:3]
            pred_maj[i] = majority
            pred_bow[i] = nb.classes_[order[0]]
            top_bow[i] = [nb.classes_[j] for j in order]
    maj = scores(labels, pred_maj)
    bow = scores(labels, pred_bow, top_bow)
    return {
        "majority": {k: maj[k] for k in ("accuracy", "macro_f1")},
        "bag_of_words_nb": {k: bow[k] for k in ("accuracy", "macro_f1", "top3_accuracy")},
    }


# ------------------------------------------------------------------------------------ (a) Chinese
def leakage_filter(raw_texts: list[str], seg_words: list[list[str]], threshold: float = 0.6):
    """Indices of segmented rows that are NOT a raw dev row (word-set containment < threshold)."""
    raw_sets = [set(T.tokens(t)) for t in raw_texts]
    inverted = defaultdict(set)
    for i, s in enumerate(raw_sets):
        for w in s:
            inverted[w].add(i)
    keep, dropped = [], 0
    for j, words in enumerate(seg_words):
        s = set(words)
        votes = Counter()
        for w in s:
            posting = inverted.get(w, ())
            if len(posting) < 100:  # rare words identify a document
                votes.update(posting)
        if votes:
            i, _ = votes.most_common(1)[0]
            if len(s & raw_sets[i]) / max(1, len(s)) >= threshold:
                dropped += 1
                continue
        keep.append(j)
    return keep, dropped


def chinese_task(data: Path, quick: bool) -> tuple[dict, list[str], list[str], list, list]:
    raw = read_csv(data / "cn_appeals" / "labelled_raw_dev.csv")
    seg = read_csv(data / "cn_appeals" / "labelled_segmented_dev.csv.gz")
    texts = [r["留言主题"] + "\n" + r["留言详情"] for r in raw]
    labels = [r["一级标签"] for r in raw]
    seg_words = [T.clean_pretokenised(r["分词文本"]) for r in seg]  # drops the _x000D_ artefacts
    artefacts = sum("_x000D_" in r["分词文本"] for r in seg)
    keep, dropped = leakage_filter(texts, seg_words)
    extra = ([seg_words[j] for j in keep], [seg[j]["一级标签"] for j in keep])
    if quick:
        extra = (extra[0][:2000], extra[1][:2000])
    out = {
        "rows": len(texts),
        "segmented_rows": len(seg),
        "segmented_rows_with_x000D": artefacts,
        "segmented_rows_dropped_as_overlapping_raw": dropped,
        "segmented_rows_used_for_training": len(extra[0]),
    }
    print(f"[a] segmented set: {dropped} of {len(seg)} rows overlap the raw dev rows, dropped", flush=True)
    started = time.perf_counter()
    ours = evaluate(texts, labels, folds=5, extra_train=extra)
    ours["wall_seconds"] = time.perf_counter() - started
    out["ours_raw_plus_segmented"] = ours
    print(f"[a] ours (+segmented): macro-F1 {ours['macro_f1']:.4f}", flush=True)
    raw_only = evaluate(texts, labels, folds=5)
    out["ours_raw_only"] = {
        k: raw_only[k] for k in ("accuracy", "macro_f1", "top3_accuracy", "train_seconds")
    }
    out["baselines_raw_plus_segmented"] = baseline_cv(texts, labels, extra)
    out["baselines_raw_only"] = baseline_cv(texts, labels, None)
    bow = out["baselines_raw_plus_segmented"]["bag_of_words_nb"]["macro_f1"]
    out["macro_f1_ratio_vs_bag_of_words"] = ours["macro_f1"] / bow if bow else None
    return out, texts, labels, extra, raw


# ------------------------------------------------------------------------------------ (b) NYC 311
def nyc_task(data: Path) -> dict:
    rows = read_csv(data / "en_311" / "nyc_311_samples_2024.csv")
    texts = [f"{r['complaint_type']}. {r['descriptor']}" for r in rows]
    labels = [r["agency"] for r in rows]
    ours = evaluate(texts, labels, folds=5)
    base = baseline_cv(texts, labels, None)
    bow = base["bag_of_words_nb"]["macro_f1"]
    return {
        "rows": len(rows),
        "text": "complaint_type + descriptor (the sample has no free text)",
        "class_counts": dict(Counter(labels).most_common()),
        "ours": ours,
        "baselines": base,
        "macro_f1_ratio_vs_bag_of_words": ours["macro_f1"] / bow if bow else None,
    }


# ------------------------------------------------------------------------------------ training time
def training_time(data: Path, texts, labels, extra) -> dict:
    """Time to train on ~10k messages: (1) 963 raw + 8,799 pre-segmented labelled rows; (2) 10,000
    raw texts (needs jieba on each) labelled by a first model (pseudo-labels: timing only)."""
    out = {}
    seg = read_csv(data / "cn_appeals" / "labelled_segmented_dev.csv.gz")
    x1 = list(texts) + [T.clean_pretokenised(r["分词文本"]) for r in seg]
    y1 = list(labels) + [r["一级标签"] for r in seg]
    t0 = time.perf_counter()
    model = train(x1, y1)
    out["labelled_raw_plus_segmented"] = {"rows": len(x1), "seconds": time.perf_counter() - t0}
    pool = list(texts)
    for name in ("unlabelled_4326.csv.gz", "with_replies_2816.csv.gz"):
        pool += [r["留言主题"] + "\n" + r["留言详情"] for r in read_csv(data / "cn_appeals" / name)]
    x2 = (pool * 2)[:10_000]
    y2 = [lab for lab, _ in (p[0] for p in model.predict_many(x2, k=1))]
    t0 = time.perf_counter()
    train(x2, y2)
    out["raw_10000_pseudo_labelled"] = {"rows": len(x2), "seconds": time.perf_counter() - t0}
    return out


# ------------------------------------------------------------------------------------ gazetteer
def shanghai_roads() -> dict:
    import xml.etree.ElementTree as ET

    nodes, roads = {}, defaultdict(list)
    with gzip.open(OSM) as fh:
        for _, el in ET.iterparse(fh):
            if el.tag == "node":
                nodes[el.get("id")] = (float(el.get("lon")), float(el.get("lat")))
            elif el.tag == "way":
                name = next((t.get("v") for t in el.findall("tag") if t.get("k") == "name"), None)
                if name:
                    roads[name].extend(nodes[n.get("ref")] for n in el.findall("nd"))
                el.clear()
    return roads


# ------------------------------------------------------------------------------------ (c) duplicates
SENT = re.compile(r"[。！？!?；;\n]+")


def reword(rng: random.Random, title: str, body: str) -> tuple[str, str]:
    """A second report of the same problem, as another resident or channel might phrase it."""
    sents = [s for s in SENT.split(body) if len(s) >= 4]
    how = rng.choice(["title_only", "sentence_subset", "title_plus_noisy_sentence"])
    if how == "title_only" or not sents:
        return title, "title_only"
    if how == "sentence_subset":
        k = max(1, len(sents) // 2)
        picked = rng.sample(sents, k)
        return "，".join(picked), how
    first = sents[0]
    noisy = "".join(ch for ch in first if rng.random() > 0.1)  # drop ~10 % of characters
    return title + "。" + noisy, how


def build_duplicate_set(data: Path, n_queries: int, seed: int = 0):
    """Open appeals = all 4,326 unlabelled messages at synthetic places in a 3 x 3 km square with
    their real times compressed into 30 days; positives = a re-worded copy of a sampled message
    (title only / half its sentences shuffled / title + a sentence with 10 % characters dropped),
    placed 0–250 m from it and 0–48 h later; negatives = messages of with_replies_2816 (no id shared),
    placed and timed at random in the same square and period. The labels are true by construction;
    the re-wordings are synthetic, so this measures text robustness, not real reporter behaviour."""
    rng = random.Random(seed)
    rows = read_csv(data / "cn_appeals" / "unlabelled_4326.csv.gz")
    others = read_csv(data / "cn_appeals" / "with_replies_2816.csv.gz")
    ids = {r["留言编号"] for r in rows}
    titles = {r["留言主题"] for r in rows}
    others = [r for r in others if r["留言编号"] not in ids and r["留言主题"] not in titles]
    lon0, lat0 = 121.46, 31.22
    dlon, dlat = 3000 / (111_195 * math.cos(math.radians(lat0))), 3000 / 111_195
    period = 30 * 86400.0
    times = [parse_time(r["留言时间"]) for r in rows]
    tmin, tmax = min(times), max(times)
    appeals = []
    for r, t in zip(rows, times, strict=True):
        appeals.append(
            OpenAppeal(
                r["留言编号"],
                r["留言主题"] + "\n" + r["留言详情"],
                (t - tmin) / (tmax - tmin) * period,
                lon0 + rng.random() * dlon,
                lat0 + rng.random() * dlat,
            )
        )
    queries = []
    for app, r in rng.sample(list(zip(appeals, rows, strict=True)), n_queries):
        text, how = reword(rng, r["留言主题"], r["留言详情"])
        d, bearing = rng.random() * 250, rng.random() * 2 * math.pi
        lon = app.lon + d * math.sin(bearing) / (111_195 * math.cos(math.radians(app.lat)))
        lat = app.lat + d * math.cos(bearing) / 111_195
        queries.append((text, app.created_at + rng.random() * 48 * 3600, lon, lat, app.id, how))
    for r in rng.sample(others, min(n_queries, len(others))):
        queries.append(
            (
                r["留言主题"] + "\n" + r["留言详情"],
                rng.random() * period,
                lon0 + rng.random() * dlon,
                lat0 + rng.random() * dlat,
                None,
                "unrelated",
            )
        )
    return appeals, queries


def duplicate_task(data: Path, n_queries: int) -> dict:
    appeals, queries = build_duplicate_set(data, n_queries)
    index = DuplicateIndex(appeals)
    from lastmeter.triage.algorithms.duplicates import haversine_m

    def rates(flags):
        tp = sum(1 for got, want in flags if want is not None and got == want)
        fp = sum(1 for got, want in flags if got is not None and got != want)
        fn = sum(1 for got, want in flags if want is not None and got != want)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return {
            "precision": p,
            "recall": r,
            "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "tp": tp,
            "fp": fp,
            "fn": fn,
        }

    ours, base, lat_ms, by_how = [], [], [], defaultdict(list)
    for text, t, lon, lat, want, how in queries:
        t0 = time.perf_counter()
        hits = index.find(text, t, lon, lat, k=1)
        lat_ms.append((time.perf_counter() - t0) * 1000)
        got = hits[0].appeal_id if hits else None
        ours.append((got, want))
        by_how[how].append((got, want))
        # Baseline: the nearest open appeal within 300 m and 72 h, text ignored.
        cands = index._candidates(t, lon, lat)
        best, best_d = None, 301.0
        for aid in cands:
            a = index._appeals[aid]
            if a.lon is None or abs(a.created_at - t) > 72 * 3600:
                continue
            dist = haversine_m(lon, lat, a.lon, a.lat)
            if dist < best_d:
                best, best_d = aid, dist
        base.append((best, want))
    ours_r, base_r = rates(ours), rates(base)
    return {
        "open_appeals": len(appeals),
        "queries": len(queries),
        "how_labels_were_built": build_duplicate_set.__doc__.split("\n\n")[0].replace("\n   ", ""),
        "ours": ours_r,
        "ours_by_rewording": {h: rates(v) for h, v in by_how.items()},
        "baseline_nearest_in_range": base_r,
        "f1_ratio_vs_baseline": ours_r["f1"] / base_r["f1"] if base_r["f1"] else None,
        "find_latency_ms": percentiles(lat_ms),
    }, appeals


# ------------------------------------------------------------------------------------ latency
def latency(texts, labels, extra, raw, appeals) -> dict:
    """Whole triage step per message: appeal-or-not + category (model + keywords) + place
    (Shanghai gazetteer) + duplicates against the open appeals of (c). Wall and CPU time."""
    model = train(list(texts) + list(extra[0]), list(labels) + list(extra[1]))
    gaz = Gazetteer(shanghai_roads())
    # A few thousand open appeals, all in the 72 h window around the queries: the worst case.
    index = DuplicateIndex([OpenAppeal(a.id, a.text, 0.0, a.lon, a.lat) for a in appeals[:3000]])
    triage = Triage(load_taxonomy(), model=model, gazetteer=gaz, duplicates=index)
    triage.warm_up()
    out = {}
    for name, msgs in (
        ("full_letters", list(texts)),
        ("titles_as_chat_length", [r["留言主题"] for r in raw]),
    ):
        wall, cpu = [], []
        for i, m in enumerate(msgs):
            lon, lat = (appeals[i].lon, appeals[i].lat) if i % 2 else (None, None)
            w0, c0 = time.perf_counter(), time.thread_time()
            triage.run(m, 3600.0, lon, lat, force_appeal=True)
            cpu.append((time.thread_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
        out[name] = {
            "messages": len(msgs),
            "median_chars": sorted(len(m) for m in msgs)[len(msgs) // 2],
            "wall_ms": percentiles(wall),
            "cpu_ms": percentiles(cpu),
        }
    out["open_appeals_in_index"] = len(index)
    out["note"] = (
        "queries alternate between a channel-given location (grid candidates) and none (every open "
        "appeal in the 72 h window is a candidate: all 3,000 here); long letters are cut to 1,500 chars "
        "by Triage.max_chars. cpu_ms is this thread's CPU time, wall_ms includes waiting for the CPU."
    )
    out["load_average_1_5_15"] = os.getloadavg()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer training rows / duplicate queries")
    args = ap.parse_args(argv)
    data = require_data(
        "cn_appeals/labelled_raw_dev.csv",
        "cn_appeals/labelled_segmented_dev.csv.gz",
        "cn_appeals/unlabelled_4326.csv.gz",
        "cn_appeals/with_replies_2816.csv.gz",
        "en_311/nyc_311_samples_2024.csv",
    )[0].parent.parent
    T.warm_up()
    result = {"config": TrainConfig().__dict__ | {"word_ngrams": list(TrainConfig().word_ngrams)}}
    cn, texts, labels, extra, raw = chinese_task(data, args.quick)
    result["chinese_7class"] = cn
    result["nyc311_agency"] = nyc_task(data)
    print(f"[b] NYC 311: macro-F1 {result['nyc311_agency']['ours']['macro_f1']:.4f}", flush=True)
    result["duplicates"], appeals = duplicate_task(data, 200 if args.quick else 1000)
    print(f"[c] duplicates: F1 {result['duplicates']['ours']['f1']:.4f}", flush=True)
    result["latency"] = latency(texts, labels, extra, raw, appeals)
    result["training_time"] = training_time(data, texts, labels, extra)
    lat = result["latency"]["full_letters"]
    tt = result["training_time"]["raw_10000_pseudo_labelled"]["seconds"]
    summary = (
        f"triage_eval: CN 7-class macro-F1 {cn['ours_raw_plus_segmented']['macro_f1']:.3f} "
        f"(acc {cn['ours_raw_plus_segmented']['accuracy']:.3f}, top-3 {cn['ours_raw_plus_segmented']['top3_accuracy']:.3f}; "
        f"x{cn['macro_f1_ratio_vs_bag_of_words']:.2f} vs BoW-NB); NYC agency macro-F1 "
        f"{result['nyc311_agency']['ours']['macro_f1']:.3f}; dup F1 {result['duplicates']['ours']['f1']:.3f} "
        f"(x{result['duplicates']['f1_ratio_vs_baseline'] or 0:.2f} vs nearest-in-range); whole step p99 "
        f"{lat['wall_ms']['p99']:.2f} ms wall / {lat['cpu_ms']['p99']:.2f} ms CPU; train 10k raw {tt:.1f} s"
    )
    write_result("triage_eval", result, summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
