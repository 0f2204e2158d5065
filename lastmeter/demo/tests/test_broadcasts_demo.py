"""The demo's broadcasts load on the demo's organisation and communities."""

from __future__ import annotations

import pytest

from lastmeter.accounts.models import OrgUnit
from lastmeter.broadcasts.models import Alert, Broadcast, ChatGroup
from lastmeter.demo.broadcasts import load_broadcasts_demo
from lastmeter.demo.communities import load_communities
from lastmeter.demo.organisation import load_organisation


@pytest.mark.django_db
def test_it_loads_groups_broadcasts_and_an_alert(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    organisation = load_organisation()
    load_communities(organisation.station)
    load_broadcasts_demo()
    assert ChatGroup.objects.count() == 2 * OrgUnit.objects.filter(kind="community").count()
    states = dict(Broadcast.objects.exclude(kind="alert").values_list("title", "state"))
    assert states == {
        "电动车充电安全提醒": "done",
        "早晚高峰出行提醒": "scheduled",
        "反诈提醒": "awaiting_approval",
    }
    alert = Alert.objects.get()
    assert alert.state == "active" and alert.sightings.count() == 1
    notice = Broadcast.objects.get(title="电动车充电安全提醒").runs.get()
    assert notice.deliveries.filter(state="skipped", reason__contains="退订").count() == 1
