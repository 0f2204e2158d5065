"""`lastmeter triage train|evaluate|load-taxonomy` on small files made here."""

from __future__ import annotations

import csv
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lastmeter.accounts.models import Department
from lastmeter.appeals.models import Category
from lastmeter.triage import default_model, services

pytestmark = pytest.mark.django_db

ROWS = [
    ("违章停车", "小区门口有车辆违停堵住出口"),
    ("违章停车", "路边乱停车占用消防通道"),
    ("违章停车", "人行道上停满了汽车没法走"),
    ("违章停车", "有车长期停在盲道上"),
    ("违章停车", "车辆违停挡住公交站台"),
    ("噪音扰民", "楼上装修噪音太大影响休息"),
    ("噪音扰民", "广场舞音响声音太吵到深夜"),
    ("噪音扰民", "夜里工地施工噪音扰民"),
    ("噪音扰民", "酒吧音乐很吵睡不着"),
    ("噪音扰民", "邻居半夜唱歌噪音大"),
]


@pytest.fixture
def labelled(tmp_path):
    path = tmp_path / "labelled.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["标题", "内容", "标签"])
        for label, text in ROWS:
            w.writerow(["", text, label])
    return path


def test_it_trains_a_versioned_model_and_uses_it(labelled, settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path / "var"
    services.reset_caches()
    call_command(
        "triage", "train", "--from", str(labelled), "--text-cols", "标题,内容", "--label-col", "标签"
    )
    call_command("triage", "train", "--from", str(labelled), "--text-cols", "内容", "--label-col", "标签")
    files = services.model_files()
    assert [f.name for f in files] == ["category-v0001.skops", "category-v0002.skops"]
    Category.objects.create(code="噪音扰民", name="噪音扰民")
    guess = services.classify("半夜楼上噪音很大")
    assert guess.category is not None and guess.category.code == "噪音扰民"
    assert guess.method == "trained model category-v0002.skops"
    services.reset_caches()


def test_it_prints_evaluation_json_on_its_last_line(labelled, capsys):
    call_command(
        "triage",
        "evaluate",
        "--from",
        str(labelled),
        "--text-cols",
        "内容",
        "--label-col",
        "标签",
        "--folds",
        "2",
    )
    last = capsys.readouterr().out.strip().splitlines()[-1]
    result = json.loads(last)
    assert 0.0 <= result["accuracy"] <= 1.0 and "macro_f1" in result
    assert set(result["per_class"]) == {"违章停车", "噪音扰民"}


def test_it_refuses_bad_training_files_with_exit_code_2(tmp_path):
    one = tmp_path / "one.csv"
    one.write_text("text,label\na,x\nb,x\n", encoding="utf-8")
    for argv in (
        ["--from", str(tmp_path / "missing.csv")],
        ["--from", str(one)],
        ["--from", str(one), "--label-col", "nope"],
    ):
        with pytest.raises(CommandError) as exc:
            call_command("triage", "train", *argv)
        assert exc.value.returncode == 2


def test_it_loads_a_taxonomy_and_creates_missing_departments(tmp_path, capsys):
    path = tmp_path / "taxonomy.json"
    path.write_text(
        json.dumps(
            [
                {
                    "code": "traffic",
                    "name": "交通",
                    "children": [{"code": "illegal_parking", "name": "违章停车"}],
                },
                {
                    "code": "street_vending",
                    "name": "占道经营",
                    "department": "urban_management",
                    "department_name": "城管执法局",
                },
            ],
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    call_command("triage", "load-taxonomy", str(path))
    assert Category.objects.get(code="illegal_parking").parent.code == "traffic"
    assert Category.objects.get(code="street_vending").department == Department.objects.get(
        code="urban_management"
    )
    call_command("triage", "load-taxonomy", str(path))  # idempotent
    assert Category.objects.count() == 3 and Department.objects.count() == 1
    levels = tmp_path / "levels.csv"
    levels.write_text("一级分类,二级分类\n政法,交通管理\n政法,治安管理\n", encoding="utf-8")
    call_command("triage", "load-taxonomy", str(levels))
    assert Category.objects.get(code="政法.交通管理").parent.code == "政法"
    with pytest.raises(CommandError):
        call_command("triage", "load-taxonomy", str(tmp_path / "none.json"))


def test_it_loads_the_algorithms_taxonomy_csv_format(tmp_path):
    path = tmp_path / "taxonomy.csv"
    path.write_text(
        "code,level1,level2,level3,name_en,unit_kind,unit_code,keywords,source\n"
        "public_order,治安,,,Public order,police,community_police,,seed\n"
        "noise,治安,噪音扰民,,Noise,police,community_police,噪音|吵,seed\n"
        "vending,城市管理,占道经营,,Street vending,department,urban_management,摆摊,seed\n"
        "city,城市管理,,,City management,department,urban_management,,seed\n",
        encoding="utf-8",
    )
    call_command("triage", "load-taxonomy", str(path))
    assert Category.objects.get(code="noise").parent.code == "public_order"
    vending = Category.objects.get(code="vending")
    assert vending.parent.code == "city" and vending.department.code == "urban_management"
    assert Category.objects.get(code="noise").department is None


def test_it_trains_on_several_files_with_their_own_columns(labelled, tmp_path, settings, capsys):
    settings.VAR_DIR = tmp_path / "var"
    services.reset_caches()
    segmented = tmp_path / "segmented.csv"
    with segmented.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["分词文本", "类别"])
        for text in ("路灯 不亮 很 黑", "路灯 坏 了 一个月", "晚上 路灯 全 灭", "灯 不亮 没人 修"):
            w.writerow([text, "路灯损坏"])
    call_command(
        "triage", "train", "--from", f"{labelled}:标题,内容:标签", "--from", f"{segmented}:分词文本:类别"
    )
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["rows"] == len(ROWS) + 4 and summary["labels"] == 3
    assert summary["class_counts"] == {"违章停车": 5, "噪音扰民": 5, "路灯损坏": 4}
    # A part left out falls back to --text-cols / --label-col.
    call_command("triage", "train", "--from", str(labelled), "--text-cols", "内容", "--label-col", "标签",
                 "--from", f"{segmented}:分词文本:类别")  # fmt: skip
    assert [f.name for f in services.model_files()] == ["category-v0001.skops", "category-v0002.skops"]
    services.reset_caches()


def test_it_scores_a_saved_model_on_a_file_it_never_trained_on(labelled, tmp_path, settings, capsys):
    settings.VAR_DIR = tmp_path / "var"
    services.reset_caches()
    call_command("triage", "train", "--from", f"{labelled}:内容:标签")
    capsys.readouterr()
    unseen = tmp_path / "unseen.csv"
    unseen.write_text(
        "id,text,label,half\n"
        "1,半夜楼上噪音很大睡不着,噪音扰民,test\n"
        "2,小区出口有车辆违停,违章停车,test\n"
        "3,门口的车挡住出口了,违章停车,dev\n"
        "4,楼下有人摆摊,占道经营,test\n",
        encoding="utf-8",
    )
    model = services.model_files()[-1]
    call_command("triage", "evaluate", "--model", str(model), "--from", str(unseen), "--where", "half=test")
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["n"] == 3 and result["model"] == str(model)
    assert result["unknown_labels"] == ["占道经营"]  # a label the model never saw counts as wrong
    assert (
        result["per_class"]["噪音扰民"]["recall"] == 1.0 and result["per_class"]["违章停车"]["recall"] == 1.0
    )
    assert result["accuracy"] == pytest.approx(2 / 3) and 0.0 <= result["top3_accuracy"] <= 1.0
    services.reset_caches()


def test_it_refuses_bad_sources_and_model_files_with_exit_code_2(labelled, tmp_path, settings):
    settings.VAR_DIR = tmp_path / "var"
    not_a_model = tmp_path / "model.skops"
    not_a_model.write_bytes(b"PK\x03\x04 not really a zip")
    for action, argv, says in (
        ("train", ["--from", f"{labelled}:内容:标签", "--from", str(tmp_path / "gone.csv")], "gone.csv: no such file"),
        ("train", ["--from", f"{labelled}:内容,摘要:标签"], "['摘要']"),
        ("train", ["--from", f"{labelled}:内容:标签", "--where", "half=test"], "no file has the column"),
        ("train", ["--from", f"{labelled}:内容:标签", "--where", "half"], "COL=VALUE"),
        ("evaluate", ["--model", str(not_a_model), "--from", f"{labelled}:内容:标签"], "not a lastmeter triage model"),
        ("evaluate", ["--model", str(tmp_path / "none.skops"), "--from", f"{labelled}:内容:标签"], "no such file"),
        ("evaluate", ["--model", str(labelled), "--from", f"{labelled}:内容:标签"], "not a lastmeter triage model"),
        ("evaluate", ["--model", str(not_a_model)], "needs --from"),
    ):  # fmt: skip
        with pytest.raises(CommandError) as exc:
            call_command("triage", action, *argv)
        assert exc.value.returncode == 2 and says in str(exc.value), (argv, str(exc.value))


def test_it_trains_the_default_model_from_the_command_line(tmp_path, settings, capsys):
    settings.VAR_DIR = tmp_path / "var"
    services.reset_caches()
    call_command("triage", "train-default")
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert first["trained"] is True and first["model"].endswith("category-v0001.skops")
    assert first["default_model"]["heldout_accuracy"] >= 0.75 and first["missing_categories"] == 36
    call_command("triage", "train-default")
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["trained"] is False
    call_command(
        "triage", "evaluate", "--model", first["model"],
        "--from", str(default_model.EXAMPLES), "--where", "half=heldout",
    )  # fmt: skip
    scored = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert scored["n"] == first["default_model"]["heldout_rows"]
    assert scored["accuracy"] == pytest.approx(first["default_model"]["heldout_accuracy"], abs=1e-4)
    services.reset_caches()
