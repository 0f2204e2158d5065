"""The shipped default triage model: held-out quality, training time, and what it says to residents.

Everything it reads ships with the project (``lastmeter/triage/data``), so it runs on a fresh
clone without ../shared:

- trains the default model exactly as ``lastmeter demo`` does (the ``train`` half of
  ``examples_zh.csv`` plus the taxonomy's keywords) and times it;
- scores it on the ``heldout`` half (phrasings never trained on): accuracy, macro-F1, top-3, and
  whether the *handling unit* (which police unit, or which department to transfer to) is right;
- baseline in the same run: the keyword rules (``triage.algorithms.fallback``) that answered before
  a model shipped, on the same held-out phrasings;
- the categories given to the issue's six examples and to twenty colloquial appeals written for
  this benchmark (not in the examples file), with the expected category of each.

Run: ``.venv/bin/python bench/triage_default.py``; writes ``bench/results/triage_default.json``.
"""

from __future__ import annotations

import os
import sys
import time

from _common import write_result

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lastmeter.settings")

import django

django.setup()

from lastmeter.triage.algorithms import fallback  # noqa: E402
from lastmeter.triage.algorithms.taxonomy import load_taxonomy  # noqa: E402
from lastmeter.triage.default_model import read_examples, train_default  # noqa: E402

# (text, the category code a station would file it under)
ISSUE_EXAMPLES = [
    ("车辆违停", "pol.traffic.illegal_parking"),
    ("乱停车堵住消防通道", "pol.traffic.illegal_parking"),
    ("有人摆摊占道", "pol.city.street_vending"),
    ("树被风刮倒了", "pol.city.fallen_tree"),
    ("楼上装修太吵", "pol.order.noise"),
    ("我被电话骗了钱", "pol.order.fraud"),
]
# Written for this benchmark, in residents' own words; none is in examples_zh.csv.
COLLOQUIAL = [
    ("我家楼下停了辆大货车 一整天了 把小区门堵死了", "pol.traffic.illegal_parking"),
    ("隔壁家狗天天半夜叫 吵得孩子哭", "pol.order.noise"),
    ("刚收到个短信说我快递丢了要赔偿，点了链接填了银行卡，这是骗子吧", "pol.order.fraud"),
    ("菜场口那几个卖鱼的又把摊子摆到马路上了，占了半条路", "pol.city.street_vending"),
    ("昨晚风太大 小区里那棵老樟树断了一半 压在电线上", "pol.city.fallen_tree"),
    ("我妈出去遛弯两个钟头没回来 她记性不好 手机也没带", "pol.help.missing_person"),
    ("有人把单车电瓶拔走了 这个月第二次了", "pol.order.theft"),
    ("路口红灯不亮了 车子乱成一锅粥", "pol.traffic.signal_fault"),
    ("对面六楼窗户冒黑烟 好像是着火了", "pol.help.fire_outbreak"),
    ("弄堂里的下水道又堵了 一下雨就淹到门口", "pol.city.flooding"),
    ("小区门口的路灯黑了一礼拜 晚上回家吓人", "pol.city.streetlight"),
    ("楼上邻居往下扔了个啤酒瓶 差点砸到人", "pol.order.thrown_objects"),
    ("骑电瓶车被一辆出租车刮倒了 司机想跑", "gov.13.05.001"),
    ("地铁站旁边马路上一个大坑 电动车摔了好几个", "pol.city.road_damage"),
    ("两个人在烧烤摊打起来了 酒瓶子都砸了", "pol.order.fight"),
    ("楼道口有个陌生男的转了一下午 挨家挨户看门牌", "pol.order.suspicious_person"),
    ("小区里的狗没拴绳 把我家孩子腿咬了", "pol.order.dog"),
    ("邻居家空调外机滴水滴到我家阳台 说了几次都不管 吵起来了", "pol.order.neighbour_dispute"),
    ("垃圾桶旁边堆了好多装修垃圾 一个礼拜没人清", "pol.city.rubbish"),
    ("马路边那辆白色面包车落满灰 轮胎都瘪了 停了半年没动过", "pol.traffic.zombie_car"),
]


def main() -> int:
    taxonomy = load_taxonomy()
    examples = read_examples()
    held = [e for e in examples if e.half == "heldout"]

    t0 = time.perf_counter()
    model = train_default()
    train_s = time.perf_counter() - t0

    def unit_of(code: str) -> str:
        cat = taxonomy.resolve(code)
        return f"{cat.unit.kind}:{cat.unit.code}" if cat is not None else "?"

    predicted = [r[0][0] for r in model.predict_many([e.text for e in held], k=1)]
    model_right = sum(p == e.label for p, e in zip(predicted, held, strict=True))
    model_unit = sum(unit_of(p) == unit_of(e.label) for p, e in zip(predicted, held, strict=True))

    # Baseline: the keyword rules over the taxonomy's category names (what intake answered before).
    names = [(c.code, c.name, c.name_en) for c in taxonomy]
    keyword = [fallback.keyword_category(e.text, names)[0] for e in held]
    keyword_right = sum(k == e.label for k, e in zip(keyword, held, strict=True))
    keyword_unit = sum(bool(k) and unit_of(k) == unit_of(e.label) for k, e in zip(keyword, held, strict=True))

    meta = model.meta.get("default_model", {})

    def label_rows(rows: list[tuple[str, str]]) -> list[dict]:
        out = []
        for text, expected in rows:
            code = model.predict(text, k=1)[0][0]
            cat = taxonomy.resolve(code)
            out.append(
                {
                    "text": text,
                    "expected": expected,
                    "given": code,
                    "given_name": cat.name if cat else "",
                    "category_right": code == expected,
                    "unit_right": unit_of(code) == unit_of(expected),
                }
            )
        return out

    issue_rows = label_rows(ISSUE_EXAMPLES)
    colloquial_rows = label_rows(COLLOQUIAL)
    n = len(held)
    payload = {
        "heldout_rows": n,
        "train_rows": meta.get("train_rows"),
        "train_s": round(train_s, 2),
        "model": {
            "accuracy": round(model_right / n, 4),
            "macro_f1": meta.get("heldout_macro_f1"),
            "top3_accuracy": meta.get("heldout_top3_accuracy"),
            "unit_accuracy": round(model_unit / n, 4),
        },
        "baseline_keyword_rules": {
            "accuracy": round(keyword_right / n, 4),
            "unit_accuracy": round(keyword_unit / n, 4),
        },
        "accuracy_ratio_vs_keyword_rules": round(model_right / max(keyword_right, 1), 2),
        "issue_examples": issue_rows,
        "colloquial": colloquial_rows,
        "colloquial_category_right": sum(r["category_right"] for r in colloquial_rows),
        "colloquial_unit_right": sum(r["unit_right"] for r in colloquial_rows),
    }
    summary = (
        f"triage default model: held-out accuracy {payload['model']['accuracy']:.3f} "
        f"(keyword rules {payload['baseline_keyword_rules']['accuracy']:.3f}, "
        f"{payload['accuracy_ratio_vs_keyword_rules']}×), unit {payload['model']['unit_accuracy']:.3f}, "
        f"issue examples {sum(r['category_right'] for r in issue_rows)}/6, colloquial "
        f"{payload['colloquial_category_right']}/20 (unit {payload['colloquial_unit_right']}/20), "
        f"trained in {train_s:.1f} s"
    )
    write_result("triage_default", payload, summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
