"""Fixtures of the mediation tests: a noise dispute in grid A walked to the stage a test needs."""

from __future__ import annotations

import pytest
from django.utils import timezone

from lastmeter.mediation import services
from lastmeter.mediation.services import NewCase, NewParty


@pytest.fixture
def open_case(world):
    """Factory: a walk-in noise case in community A, mediated by grid A's officer, two parties."""

    def make(**overrides):
        data = dict(
            dispute_type="noise",
            summary="楼上住户夜间装修噪音，楼下住户多次上门争吵",
            mediator=world.grid_officer,
            mediator_kind="community_police",
            community=world.community_a,
            address="福州路1号楼",
            lat=31.230,
            lon=121.470,
            parties=[
                NewParty("刘女士", "applicant", "13912345678"),
                NewParty("马先生", "respondent", "13811112222"),
            ],
        )
        data.update(overrides)
        return services.do_open_case(world.scope(world.grid_officer), NewCase(**data))

    return make


@pytest.fixture
def agreed_case(world, open_case):
    """Factory: a case through consent, a session, an agreement both sides confirmed."""

    def make(**overrides):
        case = open_case(**overrides)
        officer = world.scope(world.grid_officer)
        for party in case.parties.all():
            services.do_record_consent(officer, case.pk, party_id=party.pk, how="签署调解申请书")
        services.do_record_session(
            officer,
            case.pk,
            held_at=timezone.now(),
            place="警务室调解室",
            attendees="双方当事人、楼长孙",
            notes="双方陈述",
        )
        services.do_draft_agreement(
            officer, case.pk, text="马先生夜间不再施工", terms="每日18时后停止施工\n赔偿200元"
        )
        for party in case.parties.all():
            services.do_confirm(officer, case.pk, party_id=party.pk, how="签字按手印")
        return services.do_conclude(officer, case.pk)

    return make
