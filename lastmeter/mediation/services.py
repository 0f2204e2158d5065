"""Every write to a mediation case. ``do_*`` write inside a transaction with the case row locked,
through the transition table, with the timeline in the same transaction.

The refusals that matter: no session before every party consented (mediation is voluntary), and
no agreement concluded before both sides confirmed the text as drafted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lastmeter.accounts.models import Department, OrgUnit, Person
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.models import Appeal
from lastmeter.appeals.selectors import access_appeal_by_scope
from lastmeter.grids.selectors import grid_containing
from lastmeter.lib.clocks import is_working_day
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.lib.geo import validate_lat_lon
from lastmeter.lib.transitions import TransitionError, check_transition
from lastmeter.mediation.choices import (
    CASE_TRANSITIONS,
    FOLLOW_UP_TRANSITIONS,
    CaseEventKind,
    CaseSource,
    CaseState,
    DisputeType,
    FollowUpState,
    MediatorKind,
    Outcome,
    PartySide,
    ReferralTarget,
)
from lastmeter.mediation.models import (
    Agreement,
    CaseEvent,
    Confirmation,
    FollowUp,
    MediationCase,
    Party,
    Session,
)
from lastmeter.mediation.selectors import access_case_by_scope, available_actions, may_open_cases

SYSTEM = "system"


@dataclass
class NewParty:
    name: str
    side: str
    phone: str = ""


@dataclass
class NewCase:
    dispute_type: str
    summary: str
    mediator: Person
    mediator_kind: str
    appeal: Appeal | None = None
    community: OrgUnit | None = None
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    parties: list[NewParty] = field(default_factory=list)


def record_event(
    case: MediationCase,
    kind: str,
    actor: Person | None,
    *,
    note: str = "",
    data: dict[str, Any] | None = None,
    from_state: str = "",
    to_state: str = "",
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=actor,
        actor_label=actor.name if actor else SYSTEM,
        note=note,
        data=data or {},
        from_state=from_state,
        to_state=to_state,
    )


def move_state(
    case: MediationCase,
    target: str,
    actor: Person | None,
    *,
    note: str = "",
    extra_fields: tuple[str, ...] = (),
) -> None:
    check_transition(CASE_TRANSITIONS, case.state, target, "mediation case")
    previous = case.state
    case.state = target
    case.save(update_fields=["state", "updated_at", *extra_fields])
    record_event(case, CaseEventKind.STATE, actor, note=note, from_state=previous, to_state=target)


def lock_case(scope: Scope, case_id: int, action: str) -> MediationCase:
    """The case, row-locked, after checking the viewer sees it (404) and may ``action`` now."""
    access_case_by_scope(scope, case_id)
    case = MediationCase.objects.select_for_update().get(pk=case_id)
    if action not in available_actions(scope, case):
        if case.state == CaseState.CLOSED:
            raise TransitionError(_("Mediation case %(ref)s is closed.") % {"ref": case.reference})
        raise NotAllowed(
            _("This cannot be done while mediation case %(ref)s is “%(state)s”.")
            % {"ref": case.reference, "state": case.get_state_display()}
        )
    return case


# --- opening -------------------------------------------------------------------------------------


def check_new_case(scope: Scope, data: NewCase) -> None:
    if not may_open_cases(scope):
        raise NotAllowed(_("Only the station's staff and the community's officers open mediation cases."))
    if data.dispute_type not in DisputeType.values:
        raise ServiceError(_("Choose the type of dispute."))
    if data.mediator_kind not in MediatorKind.values:
        raise ServiceError(
            _("Choose the mediator's role: people's mediator, community police, lawyer or volunteer.")
        )
    if not data.summary.strip():
        raise ServiceError(_("Say what the dispute is about."))
    if not data.mediator.active:
        raise ServiceError(_("%(name)s is not active.") % {"name": data.mediator.name})
    try:
        validate_lat_lon(data.lat, data.lon)
    except ValueError as exc:
        raise ServiceError(_("The position is not valid (%(detail)s).") % {"detail": exc}) from None
    if data.appeal is None:
        if data.community is None:
            raise ServiceError(_("A walk-in case needs its community."))
        if (
            not scope.jurisdiction_wide
            and data.community.pk not in scope.community_ids
            and not (
                data.lat is not None
                and data.lon is not None
                and _grid_id(data.lat, data.lon) in scope.grid_ids
            )
        ):
            raise NotAllowed(_("You may open cases only in your own community."))
    for party in data.parties:
        if not party.name.strip() or party.side not in PartySide.values:
            raise ServiceError(_("Each party needs a name and a side (applicant or respondent)."))


def _grid_id(lat: float, lon: float) -> int | None:
    grid = grid_containing(lat, lon)
    return grid.pk if grid else None


def do_open_case(scope: Scope, data: NewCase, *, now: datetime | None = None) -> MediationCase:
    """Open a case from an appeal the viewer may see (its place and reporter come with it) or
    from a walk-in in the viewer's community."""
    check_new_case(scope, data)
    now = now or timezone.now()
    appeal = access_appeal_by_scope(scope, data.appeal.pk) if data.appeal is not None else None
    with transaction.atomic():
        grid = (
            appeal.grid
            if appeal is not None
            else (
                grid_containing(data.lat, data.lon) if data.lat is not None and data.lon is not None else None
            )
        )
        community = data.community or (grid.community if grid is not None else None)
        case = MediationCase.objects.create(
            source=CaseSource.APPEAL if appeal is not None else CaseSource.WALK_IN,
            appeal=appeal,
            dispute_type=data.dispute_type,
            summary=data.summary.strip(),
            address=(data.address or (appeal.address if appeal else "")).strip(),
            lat=data.lat if data.lat is not None else (appeal.lat if appeal else None),
            lon=data.lon if data.lon is not None else (appeal.lon if appeal else None),
            grid=grid,
            community=community,
            mediator=data.mediator,
            mediator_kind=data.mediator_kind,
            opened_by=scope.person,
            opened_at=now,
        )
        case.reference = f"TJ{timezone.localtime(now).strftime('%Y%m%d')}{case.pk:05d}"
        case.save(update_fields=["reference"])
        record_event(case, CaseEventKind.OPENED, scope.person, note=appeal.reference or "" if appeal else "")
        parties = list(data.parties)
        if (
            appeal is not None
            and appeal.reporter_name
            and all(p.side != PartySide.APPLICANT for p in parties)
        ):
            # The appeal's reporter asked for help: they are the applicant unless someone else is.
            parties.insert(0, NewParty(appeal.reporter_name, PartySide.APPLICANT, appeal.reporter_phone))
        for party in parties:
            _add_party(case, party, scope.person)
    return case


def _add_party(case: MediationCase, party: NewParty, actor: Person | None) -> Party:
    row = Party.objects.create(case=case, name=party.name.strip(), phone=party.phone.strip(), side=party.side)
    record_event(case, CaseEventKind.PARTY, actor, note=f"{row.get_side_display()}：{row.name}")
    return row


def do_add_party(scope: Scope, case_id: int, party: NewParty) -> Party:
    if not party.name.strip() or party.side not in PartySide.values:
        raise ServiceError(_("Each party needs a name and a side (applicant or respondent)."))
    with transaction.atomic():
        case = lock_case(scope, case_id, "add_party")
        return _add_party(case, party, scope.person)


def _party(case: MediationCase, party_id: int | None) -> Party:
    party = case.parties.filter(pk=party_id).first() if party_id else None
    if party is None:
        raise ServiceError(_("Choose one of the case's parties."))
    return party


def do_record_consent(scope: Scope, case_id: int, *, party_id: int, how: str) -> Party:
    if not how.strip():
        raise ServiceError(_("Say how the party consented (signed form, in the session, by phone)."))
    with transaction.atomic():
        case = lock_case(scope, case_id, "consent")
        party = _party(case, party_id)
        party.consent_at = timezone.now()
        party.consent_how = how.strip()
        party.save(update_fields=["consent_at", "consent_how"])
        record_event(case, CaseEventKind.CONSENT, scope.person, note=f"{party.name}：{party.consent_how}")
    return party


def _check_both_sides(case: MediationCase) -> list[Party]:
    parties = list(case.parties.all())
    sides = {p.side for p in parties}
    if not {PartySide.APPLICANT, PartySide.RESPONDENT} <= sides:
        raise ServiceError(_("A mediation needs both sides: add the applicant and the respondent."))
    return parties


def do_record_session(
    scope: Scope, case_id: int, *, held_at: datetime, place: str, attendees: str, notes: str
) -> Session:
    """Record a session; refused before both sides are parties and every party consented."""
    if not (place.strip() and attendees.strip() and notes.strip()):
        raise ServiceError(_("A session needs its place, who attended and what was said."))
    with transaction.atomic():
        case = lock_case(scope, case_id, "session")
        missing = [p.name for p in _check_both_sides(case) if p.consent_at is None]
        if missing:
            raise NotAllowed(
                _("Mediation is voluntary: %(names)s has not consented yet; record their consent first.")
                % {"names": "、".join(missing)}
            )
        session = Session.objects.create(
            case=case,
            held_at=held_at,
            place=place.strip(),
            attendees=attendees.strip(),
            notes=notes.strip(),
            recorded_by=scope.person,
        )
        record_event(
            case,
            CaseEventKind.SESSION,
            scope.person,
            note=f"{place.strip()} {timezone.localtime(held_at):%Y-%m-%d %H:%M}",
        )
    return session


def do_draft_agreement(scope: Scope, case_id: int, *, text: str, terms: str) -> Agreement:
    """Draft (or redraft) the agreement after at least one session; earlier confirmations lapse."""
    if not (text.strip() and terms.strip()):
        raise ServiceError(_("An agreement needs its text and its terms."))
    with transaction.atomic():
        case = lock_case(scope, case_id, "draft_agreement")
        if not case.sessions.exists():
            raise ServiceError(_("Hold a session with the parties before drafting an agreement."))
        agreement, created = Agreement.objects.update_or_create(
            case=case,
            defaults={
                "text": text.strip(),
                "terms": terms.strip(),
                "drafted_by": scope.person,
                "drafted_at": timezone.now(),
            },
        )
        if not created:
            agreement.confirmations.all().delete()
        record_event(case, CaseEventKind.AGREEMENT, scope.person, note=text.strip()[:200])
    return agreement


def do_confirm(scope: Scope, case_id: int, *, party_id: int, how: str) -> Confirmation:
    """A party confirms the agreement as drafted (how: signature, fingerprint, …)."""
    if not how.strip():
        raise ServiceError(_("Say how the party confirmed the agreement (signature, fingerprint)."))
    with transaction.atomic():
        case = lock_case(scope, case_id, "confirm")
        agreement = Agreement.objects.filter(case=case).first()
        if agreement is None:
            raise ServiceError(_("Draft the agreement first."))
        party = _party(case, party_id)
        confirmation, _created = Confirmation.objects.update_or_create(
            agreement=agreement, party=party, defaults={"how": how.strip(), "at": timezone.now()}
        )
        record_event(case, CaseEventKind.CONFIRMED, scope.person, note=f"{party.name}：{how.strip()}")
    return confirmation


def follow_up_dates(agreed_on: date, offsets: list[int] | None = None) -> list[date]:
    """The visit dates after an agreement made on ``agreed_on``: each offset in days
    (``LASTMETER_MEDIATION_FOLLOW_UP_DAYS``), moved to the next working day of China's calendar
    when it falls on a weekend or a public holiday."""
    dates = []
    for offset in offsets if offsets is not None else settings.LASTMETER_MEDIATION_FOLLOW_UP_DAYS:
        day = agreed_on + timedelta(days=offset)
        while not is_working_day(day):
            day += timedelta(days=1)
        dates.append(day)
    return dates


def do_conclude(scope: Scope, case_id: int, *, partial: bool = False, note: str = "") -> MediationCase:
    """Conclude with the agreement (or a partial one): refused unless every party, on both
    sides, has confirmed the agreement as drafted. Schedules the follow-up visits."""
    with transaction.atomic():
        case = lock_case(scope, case_id, "conclude")
        agreement = Agreement.objects.filter(case=case).first()
        if agreement is None:
            raise ServiceError(_("Draft the agreement first."))
        confirmed = set(agreement.confirmations.values_list("party_id", flat=True))
        missing = [p.name for p in _check_both_sides(case) if p.pk not in confirmed]
        if missing:
            raise NotAllowed(
                _("The agreement needs the confirmation of both sides: %(names)s has not confirmed it.")
                % {"names": "、".join(missing)}
            )
        now = timezone.now()
        case.outcome = Outcome.PARTIAL if partial else Outcome.AGREEMENT
        case.outcome_note = note.strip()
        case.agreed_at = now
        move_state(
            case,
            CaseState.PARTIAL if partial else CaseState.AGREED,
            scope.person,
            note=note.strip(),
            extra_fields=("outcome", "outcome_note", "agreed_at"),
        )
        for day in follow_up_dates(timezone.localtime(now).date()):
            FollowUp.objects.create(case=case, due_on=day)
    return case


def do_fail(scope: Scope, case_id: int, *, note: str) -> MediationCase:
    if not note.strip():
        raise ServiceError(_("Say why the mediation failed."))
    with transaction.atomic():
        case = lock_case(scope, case_id, "fail")
        case.outcome = Outcome.FAILED
        case.outcome_note = note.strip()
        move_state(
            case, CaseState.FAILED, scope.person, note=note.strip(), extra_fields=("outcome", "outcome_note")
        )
    return case


def do_refer(
    scope: Scope, case_id: int, *, target: str, department: Department | None = None, note: str = ""
) -> MediationCase:
    """Refer a failed (or partly agreed) dispute to a court, arbitration or a department."""
    if target not in ReferralTarget.values:
        raise ServiceError(_("Refer to a court, arbitration or a department."))
    if target == ReferralTarget.DEPARTMENT and department is None:
        raise ServiceError(_("Choose the department the dispute is referred to."))
    with transaction.atomic():
        case = lock_case(scope, case_id, "refer")
        case.referred_to = target
        case.referral_department = department if target == ReferralTarget.DEPARTMENT else None
        case.referral_note = note.strip()
        move_state(
            case,
            CaseState.REFERRED,
            scope.person,
            note=note.strip(),
            extra_fields=("referred_to", "referral_department", "referral_note"),
        )
        record_event(
            case,
            CaseEventKind.REFERRED,
            scope.person,
            note=department.name if department else case.get_referred_to_display(),
        )
    return case


def do_follow_up(scope: Scope, case_id: int, *, follow_up_id: int, kept: bool, note: str) -> FollowUp:
    """Record a follow-up visit: whether the agreement is kept, and what was seen."""
    if not note.strip():
        raise ServiceError(_("Say what the follow-up visit found."))
    with transaction.atomic():
        case = lock_case(scope, case_id, "follow_up")
        visit = case.follow_ups.select_for_update().filter(pk=follow_up_id).first()
        if visit is None:
            raise ServiceError(_("Choose one of the case's follow-up visits."))
        check_transition(FOLLOW_UP_TRANSITIONS, visit.state, FollowUpState.DONE, "follow-up")
        visit.state = FollowUpState.DONE
        visit.done_at = timezone.now()
        visit.kept = kept
        visit.note = note.strip()
        visit.visited_by = scope.person
        visit.save(update_fields=["state", "done_at", "kept", "note", "visited_by"])
        verdict = _("agreement kept") if kept else _("agreement not kept")
        record_event(
            case,
            CaseEventKind.FOLLOW_UP,
            scope.person,
            note=f"{visit.due_on:%Y-%m-%d} {verdict}：{visit.note}",
        )
    return visit


def do_close(scope: Scope, case_id: int, *, note: str = "") -> MediationCase:
    """Close the case; an agreed one only after its follow-up visits."""
    with transaction.atomic():
        case = lock_case(scope, case_id, "close")
        if case.follow_ups.filter(state__in=[FollowUpState.SCHEDULED, FollowUpState.OVERDUE]).exists():
            raise ServiceError(_("Make the scheduled follow-up visits before closing the case."))
        case.closed_at = timezone.now()
        move_state(case, CaseState.CLOSED, scope.person, note=note.strip(), extra_fields=("closed_at",))
    return case


def do_note(scope: Scope, case_id: int, *, note: str) -> MediationCase:
    if not note.strip():
        raise ServiceError(_("The note is empty."))
    with transaction.atomic():
        case = lock_case(scope, case_id, "note")
        record_event(case, CaseEventKind.NOTE, scope.person, note=note.strip())
    return case
