"""Triage wiring: keyword rules where the algorithms say nothing, the OSM gazetteer, corrections as labels."""

from __future__ import annotations

import pytest

from lastmeter.appeals.models import AppealEvent
from lastmeter.triage import services
from lastmeter.triage.models import TriageLabel

pytestmark = pytest.mark.django_db


def test_it_falls_back_to_keyword_rules_without_a_model(world, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    services.reset_caches()
    guess = services.classify("路口有车辆违章停车")
    assert guess.category == world.police_category and guess.method == "keyword rules"


def test_it_trains_at_first_use_on_stored_labels(world, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    services.reset_caches()
    for i in range(6):
        services.record_label(f"车辆违停堵住出口{i}", "illegal_parking")
        services.record_label(f"有人占道摆摊卖水果{i}", "street_vending")
    guess = services.classify("门口有人占道摆摊")
    assert guess.method.startswith("model trained at first use on 12")
    assert guess.category == world.department_category
    services.reset_caches()


def test_it_finds_a_place_named_in_the_text_with_the_osm_gazetteer():
    services.reset_caches()
    place = services.place_from_text("福州路和河南中路路口有车辆违停")
    assert place is not None and 31.2 < place.lat < 31.25 and 121.46 < place.lon < 121.49
    assert services.place_from_text("楼下有人吵架") is None


def test_it_says_chatter_is_not_an_appeal():
    assert not services.appeal_or_not("谢谢民警同志").is_appeal
    assert services.appeal_or_not("小区门口有车违停，麻烦处理").is_appeal


def test_it_records_a_staff_category_correction_as_a_label(world, new_appeal):
    appeal = new_appeal(category=world.police_category)
    services.do_correct_category(world.scope(world.dispatcher), appeal.pk, category=world.department_category)
    appeal.refresh_from_db()
    label = TriageLabel.objects.get()
    assert label.label == "street_vending" and label.previous_label == "illegal_parking"
    assert appeal.state == "transferred" and appeal.department == world.department
    # The timeline says it in words (the categories' names); the event's data keeps the codes.
    event = AppealEvent.objects.get(appeal=appeal, kind="note", data__category="street_vending")
    assert event.note == "类别：违章停车 → 占道经营" and event.data["previous"] == "illegal_parking"


def test_it_refuses_a_correction_by_an_officer_of_another_grid(world, new_appeal):
    from django.http import Http404

    appeal = new_appeal()
    with pytest.raises(Http404):
        services.do_correct_category(
            world.scope(world.other_officer), appeal.pk, category=world.department_category
        )


def test_it_finds_duplicates_on_the_process_index_and_follows_database_changes(world, new_appeal):
    from lastmeter.appeals.models import Appeal

    services.reset_caches()
    first = new_appeal(text="福州路小区出口有车辆违停，堵住了出口", lat=None, lon=None)
    hits = services.find_duplicates("福州路小区出口有车辆违停，堵住出口了")
    assert [h.appeal for h in hits] == [first] and hits[0].score >= services.DUPLICATE_THRESHOLD
    assert services.find_duplicates("福州路小区出口有车辆违停，堵住出口了", exclude={first.pk}) == []
    # A new appeal saved in this process is seen by the next search (signal), …
    second = new_appeal(text="九江路的垃圾堆了三天没人清运，味道很大", lat=None, lon=None)
    assert [h.appeal for h in services.find_duplicates("九江路垃圾堆了三天没人清运，味道很大")] == [second]
    # … a change that bypassed the signals and updated_at is caught when the hit is re-read, …
    Appeal.objects.filter(pk=second.pk).update(text="完全不同的事情")
    assert services.find_duplicates("九江路垃圾堆了三天没人清运，味道很大") == []
    # … and a closed appeal is no longer a candidate.
    Appeal.objects.filter(pk=first.pk).update(state="closed")
    assert services.find_duplicates("福州路小区出口有车辆违停，堵住出口了") == []


@pytest.mark.django_db(transaction=True)
def test_it_warms_up_in_the_background_without_failing(world, caplog):
    services.warm_in_background().join(timeout=120)
    assert not [r for r in caplog.records if r.name == "lastmeter.triage" and r.levelname == "ERROR"]
    assert services.appeal_or_not("谢谢民警同志").is_appeal is False  # still answers afterwards
