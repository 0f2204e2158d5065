"""Trainable classifier: hand-made Chinese/English examples, safe versioned files, fast path."""

import json
import zipfile

import numpy as np
import pytest
import skops.io as sio
from hypothesis import given, settings
from hypothesis import strategies as st

from lastmeter.triage.algorithms.classifier import (
    MODEL_FORMAT_VERSION,
    ModelFormatError,
    TrainConfig,
    UnsafeModelError,
    load_model,
    save_model,
    train,
)
from lastmeter.triage.algorithms.evaluate import evaluate, scores

# Small hash spaces keep the tests fast; the algorithm is the same.
CFG = TrainConfig(word_bits=12, char_bits=12)

EXAMPLES = [
    ("小区门口有车辆违停堵住出口", "parking"),
    ("路边乱停车占用消防通道", "parking"),
    ("人行道上停满了汽车没法走", "parking"),
    ("Car parked on the sidewalk blocking the ramp", "parking"),
    ("Someone double parked and blocked my driveway", "parking"),
    ("楼上装修噪音太大影响休息", "noise"),
    ("广场舞音响声音太吵到深夜", "noise"),
    ("夜里工地施工噪音扰民", "noise"),
    ("Loud music from the bar every night", "noise"),
    ("Neighbours party noise until 3am", "noise"),
    ("我的电动车在楼下被偷了", "theft"),
    ("钱包在地铁上被小偷偷走", "theft"),
    ("家里失窃丢了手机和现金", "theft"),
    ("My bike was stolen outside the station", "theft"),
    ("Someone broke into my car and took the laptop", "theft"),
]
TEXTS = [t for t, _ in EXAMPLES]
LABELS = [lab for _, lab in EXAMPLES]


@pytest.fixture(scope="module")
def model():
    return train(TEXTS, LABELS, CFG)


def test_it_learns_hand_made_examples(model):
    assert model.labels == ("noise", "parking", "theft")
    assert model.predict("门口又有车违停了")[0][0] == "parking"
    assert model.predict("隔壁噪音太吵")[0][0] == "noise"
    assert model.predict("my phone was stolen")[0][0] == "theft"


def test_it_returns_top_three_probabilities(model):
    top = model.predict("车停在人行道上", k=3)
    assert len(top) == 3 and [s for _, s in top] == sorted((s for _, s in top), reverse=True)
    assert all(0.0 <= s <= 1.0 for _, s in top)
    assert sum(s for _, s in top) == pytest.approx(1.0, abs=1e-6)
    assert model.meta["calibrated"] is True


def test_it_accepts_pretokenised_rows_and_appended_corrections():
    texts = [*TEXTS, ["僵尸车", "长期", "停放"], "小区里有辆僵尸车"]
    labels = [*LABELS, "zombie_car", "zombie_car"]
    m = train(texts, labels, CFG)
    assert "zombie_car" in m.labels
    assert m.meta["calibrated"] is False  # a label with two examples cannot be calibrated on 3 folds
    assert m.predict("僵尸车长期停放")[0][0] == "zombie_car"


def test_it_refuses_unusable_training_data():
    with pytest.raises(ValueError, match="two distinct labels"):
        train(["a", "b"], ["x", "x"], CFG)
    with pytest.raises(ValueError, match="differ in length"):
        train(["a"], ["x", "y"], CFG)
    with pytest.raises(ValueError, match="empty label"):
        train(["a", "b"], ["x", " "], CFG)


def test_it_saves_and_loads_without_pickle(model, tmp_path):
    path = tmp_path / "m.skops"
    save_model(model, path)
    header = json.loads(zipfile.ZipFile(path).read("lastmeter-model.json"))
    assert header["format_version"] == MODEL_FORMAT_VERSION
    loaded = load_model(path)
    assert loaded.labels == model.labels and loaded.config == model.config
    text = "半夜楼上噪音"
    assert np.allclose(loaded.predict_proba([text]), model.predict_proba([text]))
    assert loaded.predict(text)[0][0] == model.predict(text)[0][0]


def test_it_refuses_another_format_version(model, tmp_path):
    path = tmp_path / "m.skops"
    save_model(model, path)
    old = tmp_path / "old.skops"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(old, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "lastmeter-model.json":
                data = json.dumps({"kind": "lastmeter.triage.classifier", "format_version": 99}).encode()
            dst.writestr(item, data)
    with pytest.raises(ModelFormatError, match="version 99"):
        load_model(old)


def test_it_refuses_files_that_are_not_models(tmp_path):
    junk = tmp_path / "junk.skops"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ModelFormatError):
        load_model(junk)


class Sneaky:
    """A type no model contains: loading must refuse to build it."""


def test_it_refuses_untrusted_types(tmp_path):
    path = tmp_path / "evil.skops"
    sio.dump({"format_version": MODEL_FORMAT_VERSION, "pipeline": Sneaky()}, path)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(
            "lastmeter-model.json",
            json.dumps({"kind": "lastmeter.triage.classifier", "format_version": MODEL_FORMAT_VERSION}),
        )
    with pytest.raises(UnsafeModelError, match="Sneaky"):
        load_model(path)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(alphabet="违停车噪音偷小区 parkingnoise", max_size=20), min_size=1, max_size=4))
def test_it_predicts_like_sklearn_on_the_fast_path(model, texts):
    fast = model.predict_proba(texts)
    slow = model.predict_proba_reference(texts)
    assert np.allclose(fast, slow, atol=1e-5)


@settings(max_examples=25, deadline=None)
@given(st.text(alphabet="违停车噪音偷小区 parkingnoise", max_size=30))
def test_it_predicts_one_message_like_sklearn_on_the_compiled_path(model, text):
    ref = model.predict_proba_reference([text])[0]
    for label, p in model.predict(text, k=3):
        assert p == pytest.approx(ref[model.labels.index(label)], abs=1e-5)


def test_it_predicts_like_sklearn_when_binary_and_uncalibrated():
    labels = ["a" if lab == "noise" else "b" for lab in LABELS]
    m = train(TEXTS, labels, TrainConfig(word_bits=12, char_bits=12, calibrate=False))
    probe = ["噪音", "被偷", "", "parked"]
    assert np.allclose(m.predict_proba(probe), m.predict_proba_reference(probe), atol=1e-5)
    for text, ref in zip(probe, m.predict_proba_reference(probe), strict=True):
        assert dict(m.predict(text, k=2)) == pytest.approx(dict(zip(m.labels, ref, strict=True)), abs=1e-5)


def test_it_can_still_use_jieba_words():
    m = train(TEXTS, LABELS, TrainConfig(word_bits=12, char_bits=12, word_max_chars=100))
    assert m.predict("门口又有车违停了")[0][0] == "parking"
    ref = m.predict_proba_reference(["门口又有车违停了"])[0]
    assert dict(m.predict("门口又有车违停了")) == pytest.approx(
        dict(zip(m.labels, ref, strict=True)), abs=1e-5
    )


def test_it_cross_validates():
    out = evaluate(TEXTS * 2, LABELS * 2, folds=3, config=CFG)
    assert set(out) >= {"accuracy", "macro_f1", "top3_accuracy", "per_class", "train_seconds", "predict_ms"}
    assert set(out["per_class"]) == {"noise", "parking", "theft"}
    assert out["accuracy"] > 0.6
    with pytest.raises(ValueError):
        evaluate(TEXTS[:2], LABELS[:2], folds=5, config=CFG)


def test_it_scores_by_hand():
    out = scores(["a", "a", "b", "b"], ["a", "b", "b", "b"], [["a"], ["b", "a"], ["b"], ["a"]])
    assert out["accuracy"] == 0.75
    assert out["top3_accuracy"] == 0.75
    assert out["per_class"]["a"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": pytest.approx(2 / 3),
        "support": 2,
    }
    assert out["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)
