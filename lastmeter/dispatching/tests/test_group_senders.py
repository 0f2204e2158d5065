"""Every line of a command group says who it is from: the person whose action a system line reports
(the dispatcher who opened the group or sent a unit), else the system; in the viewer's language."""

from __future__ import annotations

from django.utils import translation

from lastmeter.dispatching import services
from lastmeter.dispatching.command import sync_group_members
from lastmeter.dispatching.models import Assignment
from lastmeter.dispatching.presenters import message_row


def test_it_gives_every_system_line_a_sender(world, fleet, scene_incident):
    d = world.dispatcher
    services.do_dispatch(scene_incident, [fleet.p1.pk], d)
    group = services.do_open_command_group(scene_incident, d)
    # A unit added without anyone acting (an automatic sync): the system is the sender.
    Assignment.objects.create(incident=scene_incident, unit=fleet.p2)
    sync_group_members(scene_incident)
    with translation.override("zh-hans"):
        rows = [message_row(m) for m in group.messages.order_by("pk")]
    assert [(r["kind"], r["author"]["name"]) for r in rows] == [
        ("system", d.name),  # opened by the dispatcher
        ("system", d.name),  # the dispatcher's unit's officer joined as the group opened
        ("system", "系统"),  # joined later, nobody acting
    ]
    assert rows[0]["author"]["id"] == d.pk and rows[2]["author"]["id"] is None
    assert rows[0]["text"].startswith("指挥群已建立") and rows[2]["text"].startswith("加入指挥群")
    with translation.override("en"):
        assert message_row(group.messages.order_by("pk").last())["author"]["name"] == "System"
