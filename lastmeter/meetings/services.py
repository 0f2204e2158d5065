"""Every write to a meeting and the counter log. ``do_*`` write inside a transaction with the
meeting row locked, through the transition tables, the timeline in the same transaction.

The refusals that matter: a decision without an owner (someone must answer for it at the next
meeting), and anything done by someone who does not organise meetings in that community.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lastmeter.accounts.models import Department, OrgUnit, Person
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.models import Appeal
from lastmeter.appeals.notify.outbox import channel_can_answer, enqueue
from lastmeter.appeals.notify.reporter import tracking_link
from lastmeter.lib.clocks import WORKING_DAYS, compute_due
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.lib.transitions import check_transition
from lastmeter.meetings.choices import (
    ACTION_TRANSITIONS,
    MEETING_TRANSITIONS,
    UNFINISHED_ACTION_STATES,
    ActionState,
    AttendeeKind,
    CounterKind,
    ItemKind,
    MeetingEventKind,
    MeetingState,
)
from lastmeter.meetings.models import ActionItem, AgendaItem, Attendee, CounterVisit, Meeting, MeetingEvent
from lastmeter.meetings.selectors import (
    access_meeting_by_scope,
    available_actions,
    may_organise,
    organisable_communities,
    proposed_items,
    visible_counter_visits,
)

SYSTEM = "system"
MAX_WORKING_DAYS = 120


def record_event(meeting: Meeting, kind: str, actor: Person | None, note: str = "") -> MeetingEvent:
    return MeetingEvent.objects.create(
        meeting=meeting, kind=kind, actor_label=actor.name if actor else SYSTEM, note=note
    )


def _move(meeting: Meeting, target: str, actor: Person | None, extra: tuple[str, ...] = ()) -> None:
    check_transition(MEETING_TRANSITIONS, meeting.state, target, "meeting")
    previous = meeting.get_state_display()
    meeting.state = target
    meeting.save(update_fields=["state", "updated_at", *extra])
    record_event(meeting, MeetingEventKind.STATE, actor, f"{previous} → {meeting.get_state_display()}")


def lock_meeting(scope: Scope, meeting_id: int, action: str) -> Meeting:
    """The meeting, row-locked, after checking the viewer sees it (404) and may ``action`` now."""
    access_meeting_by_scope(scope, meeting_id)
    meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
    if action not in available_actions(scope, meeting):
        raise NotAllowed(
            _("This cannot be done to meeting %(ref)s now (it is “%(state)s”, or you do not organise it).")
            % {"ref": meeting.reference, "state": meeting.get_state_display()}
        )
    return meeting


# --- scheduling, with the agenda built from the community's appeals and last meeting ----------


def do_schedule_meeting(
    scope: Scope, *, community: OrgUnit, title: str, held_at: datetime, place: str
) -> Meeting:
    """Schedule a meeting and propose its agenda: the report-backs owed from earlier meetings of
    the community (every unfinished action item), the recurring problems and the open appeals."""
    if not may_organise(scope):
        raise NotAllowed(_("Only the station's staff and the community's officers organise meetings."))
    if not organisable_communities(scope).filter(pk=community.pk).exists():
        raise NotAllowed(_("You may organise meetings only in your own community."))
    if not (title.strip() and place.strip()):
        raise ServiceError(_("A meeting needs its title and place."))
    with transaction.atomic():
        previous = (
            Meeting.objects.filter(community=community, held_at__lt=held_at).order_by("-held_at").first()
        )
        meeting = Meeting.objects.create(
            community=community,
            title=title.strip(),
            held_at=held_at,
            place=place.strip(),
            previous=previous,
            organised_by=scope.person,
        )
        meeting.reference = f"YS{timezone.localtime(held_at):%Y%m%d}{meeting.pk:04d}"
        meeting.save(update_fields=["reference"])
        record_event(meeting, MeetingEventKind.SCHEDULED, scope.person, meeting.title)
        position = 0
        owed = ActionItem.objects.filter(
            meeting__community=community, state__in=UNFINISHED_ACTION_STATES
        ).select_related("owner")
        for action in owed.exclude(meeting=meeting):
            position += 1
            item = AgendaItem.objects.create(
                meeting=meeting,
                position=position,
                kind=ItemKind.REPORT_BACK,
                title=_("Report back: %(task)s (%(owner)s)")
                % {"task": action.task, "owner": action.owner.name},
                action_item=action,
            )
            item.appeals.set(action.agenda_item.appeals.all() if action.agenda_item else [])
        # A meeting entered after the fact discusses what was known by then, not later appeals.
        for proposal in proposed_items(scope, community, now=min(held_at, timezone.now())):
            position += 1
            item = AgendaItem.objects.create(
                meeting=meeting,
                position=position,
                kind=proposal.kind,
                title=proposal.title[:300],
                repeat_count=len(proposal.appeals),
            )
            item.appeals.set(proposal.appeals)
    return meeting


def do_add_item(scope: Scope, meeting_id: int, *, title: str) -> AgendaItem:
    if not title.strip():
        raise ServiceError(_("Say what the agenda item is."))
    with transaction.atomic():
        meeting = lock_meeting(scope, meeting_id, "add_item")
        last = meeting.items.order_by("-position").first()
        item = AgendaItem.objects.create(
            meeting=meeting,
            position=(last.position + 1) if last else 1,
            kind=ItemKind.OTHER,
            title=title.strip()[:300],
        )
        record_event(meeting, MeetingEventKind.ITEM, scope.person, item.title)
    return item


def do_add_attendee(
    scope: Scope,
    meeting_id: int,
    *,
    name: str,
    kind: str,
    person: Person | None = None,
    department: Department | None = None,
) -> Attendee:
    if kind not in AttendeeKind.values:
        raise ServiceError(
            _("Say who the attendee is: residents' representative, building head, department…")
        )
    name = name.strip() or (person.name if person else "") or (department.name if department else "")
    if not name:
        raise ServiceError(_("An attendee needs a name."))
    if kind == AttendeeKind.DEPARTMENT and department is None:
        raise ServiceError(_("Choose the department that attends."))
    with transaction.atomic():
        meeting = lock_meeting(scope, meeting_id, "add_attendee")
        attendee = Attendee.objects.create(
            meeting=meeting, name=name, kind=kind, person=person, department=department
        )
        record_event(
            meeting, MeetingEventKind.ATTENDEE, scope.person, f"{attendee.get_kind_display()}：{name}"
        )
    return attendee


def do_record_minutes(scope: Scope, meeting_id: int, *, minutes: str) -> Meeting:
    """Record (or rewrite) the minutes; the first time marks the meeting as held."""
    if not minutes.strip():
        raise ServiceError(_("The minutes are empty."))
    with transaction.atomic():
        meeting = lock_meeting(scope, meeting_id, "minutes")
        if not meeting.attendees.exists():
            raise ServiceError(_("Record who attended before the minutes."))
        meeting.minutes = minutes.strip()
        if meeting.state == MeetingState.PLANNED:
            _move(meeting, MeetingState.HELD, scope.person, ("minutes",))
        else:
            meeting.save(update_fields=["minutes", "updated_at"])
        record_event(meeting, MeetingEventKind.MINUTES, scope.person, meeting.minutes[:200])
    return meeting


def action_due(start: datetime, working_days: int) -> datetime:
    """The action item's deadline: the end of the n-th working day of China's calendar."""
    return compute_due(start, working_days, WORKING_DAYS, ZoneInfo(settings.TIME_ZONE))


@dataclass
class NewDecision:
    item_id: int | None
    decision: str
    task: str
    owner: Person | None
    working_days: int
    department: Department | None = None


def do_decide(scope: Scope, meeting_id: int, data: NewDecision, *, now: datetime | None = None) -> ActionItem:
    """A decision of the meeting becomes an action item with an owner and a deadline; the
    residents whose appeals were on that agenda item are told the decision."""
    if data.owner is None:
        raise ServiceError(
            _("A decision needs an owner: name the person who answers for it at the next meeting.")
        )
    if not data.owner.active:
        raise ServiceError(_("%(name)s is not active.") % {"name": data.owner.name})
    if not (data.decision.strip() and data.task.strip()):
        raise ServiceError(_("Say what was decided and what is to be done."))
    if not 1 <= data.working_days <= MAX_WORKING_DAYS:
        raise ServiceError(_("Give between 1 and %(max)d working days.") % {"max": MAX_WORKING_DAYS})
    now = now or timezone.now()
    with transaction.atomic():
        meeting = lock_meeting(scope, meeting_id, "decide")
        item = meeting.items.filter(pk=data.item_id).first() if data.item_id else None
        if data.item_id and item is None:
            raise ServiceError(_("Choose one of this meeting's agenda items."))
        action = ActionItem.objects.create(
            meeting=meeting,
            agenda_item=item,
            decision=data.decision.strip(),
            task=data.task.strip(),
            owner=data.owner,
            department=data.department,
            working_days=data.working_days,
            due_at=action_due(now, data.working_days),
        )
        record_event(
            meeting,
            MeetingEventKind.DECISION,
            scope.person,
            f"{action.decision} → {action.owner.name}，{timezone.localtime(action.due_at):%Y-%m-%d}",
        )
        if item is not None:
            for appeal in item.appeals.all():
                tell_reporter(appeal, meeting, action)
    return action


def _routes(appeal: Appeal) -> list[tuple[str, dict]]:
    """The reporter's route, as for every message about their appeal: the channel it came from
    when that channel can answer, else SMS, else e-mail."""
    if channel_can_answer(appeal.channel) and appeal.channel_ref:
        return [(f"channel:{appeal.channel}", dict(appeal.channel_ref))]
    if appeal.reporter_phone:
        return [("sms", {"phone": appeal.reporter_phone})]
    if appeal.reporter_email:
        return [("email", {"email": appeal.reporter_email})]
    return []


def tell_reporter(appeal: Appeal, meeting: Meeting, action: ActionItem) -> int:
    with translation.override(settings.LANGUAGE_CODE):
        body = _(
            "The community meeting of %(day)s discussed your appeal %(ref)s and decided: %(decision)s "
            "(%(owner)s answers for it by %(due)s)."
        ) % {
            "day": f"{timezone.localtime(meeting.held_at):%Y-%m-%d}",
            "ref": appeal.reference or appeal.pk,
            "decision": action.decision,
            "owner": action.owner.name,
            "due": f"{timezone.localtime(action.due_at):%Y-%m-%d}",
        }
        body += " " + _("Progress: %(link)s") % {"link": tracking_link(appeal)}
    sent = 0
    for transport, recipient in _routes(appeal):
        key = f"meeting:{meeting.pk}:action:{action.pk}:appeal:{appeal.pk}:{transport}"
        if enqueue(key=key, transport=transport, recipient=recipient, body=body, appeal=appeal):
            sent += 1
    return sent


def do_report_back(scope: Scope, meeting_id: int, *, item_id: int, report: str, done: bool) -> ActionItem:
    """At a later meeting, the owner's report on an action item carried to its agenda; ``done``
    closes the item, otherwise it stays open and is carried again to the next meeting."""
    if not report.strip():
        raise ServiceError(_("Say what the owner reported."))
    with transaction.atomic():
        meeting = lock_meeting(scope, meeting_id, "report_back")
        item = (
            meeting.items.filter(pk=item_id, kind=ItemKind.REPORT_BACK).select_related("action_item").first()
        )
        if item is None or item.action_item is None:
            raise ServiceError(_("Choose one of the report-backs on this meeting's agenda."))
        action = ActionItem.objects.select_for_update().get(pk=item.action_item.pk)
        action.report = report.strip()
        action.reported_at = meeting
        fields = ["report", "reported_at"]
        if done:
            check_transition(ACTION_TRANSITIONS, action.state, ActionState.DONE, "action item")
            action.state = ActionState.DONE
            action.done_at = timezone.now()
            fields += ["state", "done_at"]
        action.save(update_fields=fields)
        record_event(
            meeting,
            MeetingEventKind.REPORT_BACK,
            scope.person,
            f"{action.task}：{action.report}（{action.get_state_display()}）",
        )
    return action


def do_close(scope: Scope, meeting_id: int) -> Meeting:
    with transaction.atomic():
        meeting = lock_meeting(scope, meeting_id, "close")
        _move(meeting, MeetingState.CLOSED, scope.person)
    return meeting


# --- the one-window counter ---------------------------------------------------------------------


def do_log_arrival(
    scope: Scope, *, community: OrgUnit, kind: str, matter: str, visitor: str = "", at: datetime | None = None
) -> CounterVisit:
    if not may_organise(scope) or not organisable_communities(scope).filter(pk=community.pk).exists():
        raise NotAllowed(_("Only the community's officers and the station's staff keep the counter log."))
    if kind not in CounterKind.values:
        raise ServiceError(_("Choose the kind of matter."))
    if not matter.strip():
        raise ServiceError(_("Say what the visitor came for."))
    return CounterVisit.objects.create(
        community=community,
        kind=kind,
        matter=matter.strip(),
        visitor=visitor.strip(),
        arrived_at=at or timezone.now(),
    )


def _lock_visit(scope: Scope, visit_id: int) -> CounterVisit:
    visit = visible_counter_visits(scope).select_for_update(of=("self",)).filter(pk=visit_id).first()
    if visit is None:
        raise NotAllowed(_("No such visit in your counter log."))
    return visit


def do_serve(scope: Scope, visit_id: int, *, at: datetime | None = None) -> CounterVisit:
    with transaction.atomic():
        visit = _lock_visit(scope, visit_id)
        if visit.served_at is not None:
            raise ServiceError(_("This visitor is already being served."))
        visit.served_at = at or timezone.now()
        visit.clerk = scope.person
        visit.save(update_fields=["served_at", "clerk"])
    return visit


def do_finish(scope: Scope, visit_id: int, *, outcome: str = "", at: datetime | None = None) -> CounterVisit:
    with transaction.atomic():
        visit = _lock_visit(scope, visit_id)
        if visit.served_at is None:
            raise ServiceError(_("Serve the visitor before finishing the matter."))
        if visit.finished_at is not None:
            raise ServiceError(_("This matter is finished already."))
        visit.finished_at = at or timezone.now()
        if visit.finished_at < visit.served_at:
            raise ServiceError(_("A matter cannot finish before it was served."))
        visit.outcome = outcome.strip()
        visit.save(update_fields=["finished_at", "outcome"])
    return visit
