"""The hand-computed month of community work (March 2024, Shanghai) quoted in docs/MEASURES.md
§Complaints and §Mediation. Rows are written directly, with the times the measures read, so
each figure can be checked by hand.

Complaints (received, officer concerned, unit):
  C1  4 Mar    张警官  community A         reply r1 due 19 Mar met, r2 due 30 Mar met late;
                                          decided revoke 15 Mar (r1), uphold 28 Mar (r2)
  C2  6 Mar    张警官  building of A       reply due 21 Mar still running (not counted)
  C3  12 Mar   赵警官  community B         reply due 27 Mar breached; decided correct 20 Mar
  C4  20 Mar   —       —                   reply due 5 Apr met (April)
  C5  1 Mar 00:30 local (29 Feb UTC) 赵警官 B   reply due 16 Mar met; decided partly 2 Apr
  C6  29 Feb 23:00 local 张警官 A          reply due 14 Mar cancelled (withdrawn)

Mediation cases (community, type, opened, outcome, agreed):
  M1  A  noise      1 Mar 10:00   agreement  5 Mar 10:00   (4 days)   appeal 30 Mar: recurred
  M2  B  neighbour  3 Mar 09:00   partial    4 Mar 21:00   (1.5 days) appeal 4 Mar 20:00: before
  M3  B  debt       10 Mar        failed
  M4  A  family     12 Mar 08:00  agreement  22 Mar 08:00  (10 days)  appeal 25 Jun: after 90 days
  M5  B  noise      25 Mar        open
  M6  A  noise      20 Feb 10:00  agreement  2 Mar 10:00   (11 days)  appeals 10 and 12 May: recurred
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from lastmeter.complaints.models import Complaint, ComplaintClock, Decision
from lastmeter.mediation.models import MediationCase, RecurrenceLink
from lastmeter.stats.tests.fixture import appeal

SH = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: float = 9) -> datetime:
    return datetime(2024, month, day, tzinfo=SH) + timedelta(hours=hour)


@dataclass
class CommunityMonth:
    complaints: dict[str, Complaint]
    cases: dict[str, MediationCase]


def _complaint(world, created: datetime, officer, unit) -> Complaint:
    c = Complaint.objects.create(
        channel="hotline",
        complainant_name="投诉人",
        complainant_phone="13900000000",
        subject_kind="conduct",
        text="执法态度问题",
        officer=officer,
        unit=unit,
    )
    Complaint.objects.filter(pk=c.pk).update(created_at=created)
    return c


def _reply(c: Complaint, due: datetime, state: str, round: int = 1) -> None:
    ComplaintClock.objects.create(
        complaint=c,
        kind="reply",
        round=round,
        unit="working_days",
        amount=15,
        state=state,
        started_at=due - timedelta(days=15),
        due_at=due,
        warn_at=due - timedelta(days=2),
    )


def _decide(world, c: Complaint, round: int, kind: str, at_: datetime) -> None:
    Decision.objects.create(
        complaint=c, round=round, kind=kind, reasons="理由", reviewer=world.legal_reviewer, decided_at=at_
    )


def _case(world, community, kind: str, opened: datetime, outcome: str = "", agreed=None) -> MediationCase:
    return MediationCase.objects.create(
        source="walk_in",
        dispute_type=kind,
        summary="纠纷",
        community=community,
        mediator=world.grid_officer,
        mediator_kind="community_police",
        opened_at=opened,
        outcome=outcome,
        agreed_at=agreed,
    )


def _recur(world, case: MediationCase, created: datetime) -> None:
    RecurrenceLink.objects.create(case=case, appeal=appeal(world, created), reason="same_address")


def build_community_month(world) -> CommunityMonth:
    a, b = world.community_a, world.community_b
    zhang, zhao = world.grid_officer, world.other_officer
    c1 = _complaint(world, at(3, 4, 10), zhang, a)
    c2 = _complaint(world, at(3, 6), zhang, world.building_a)
    c3 = _complaint(world, at(3, 12), zhao, b)
    c4 = _complaint(world, at(3, 20), None, None)
    c5 = _complaint(world, at(3, 1, 0.5), zhao, b)
    c6 = _complaint(world, at(2, 29, 23), zhang, a)
    _reply(c1, at(3, 19, 18), "met")
    _reply(c1, at(3, 30, 18), "met_late", round=2)
    _reply(c2, at(3, 21, 18), "running")
    _reply(c3, at(3, 27, 18), "breached")
    _reply(c4, at(4, 5, 18), "met")
    _reply(c5, at(3, 16, 18), "met")
    _reply(c6, at(3, 14, 18), "cancelled")
    _decide(world, c1, 1, "revoke", at(3, 15))
    _decide(world, c1, 2, "uphold", at(3, 28))
    _decide(world, c3, 1, "correct", at(3, 20))
    _decide(world, c5, 1, "partly", at(4, 2))

    m1 = _case(world, a, "noise", at(3, 1, 10), "agreement", at(3, 5, 10))
    m2 = _case(world, b, "neighbour", at(3, 3, 9), "partial", at(3, 4, 21))
    m3 = _case(world, b, "debt", at(3, 10), "failed")
    m4 = _case(world, a, "family", at(3, 12, 8), "agreement", at(3, 22, 8))
    m5 = _case(world, b, "noise", at(3, 25))
    m6 = _case(world, a, "noise", at(2, 20, 10), "agreement", at(3, 2, 10))
    _recur(world, m1, at(3, 30))
    _recur(world, m2, at(3, 4, 20))
    _recur(world, m4, at(6, 25))
    _recur(world, m6, at(5, 10))
    _recur(world, m6, at(5, 12))
    return CommunityMonth(
        complaints={"C1": c1, "C2": c2, "C3": c3, "C4": c4, "C5": c5, "C6": c6},
        cases={"M1": m1, "M2": m2, "M3": m3, "M4": m4, "M5": m5, "M6": m6},
    )
