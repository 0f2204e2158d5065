"""Fixtures of the complaints tests: a complaint about grid A's officer, a second legal reviewer."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from lastmeter.accounts.choices import Role
from lastmeter.accounts.models import Person, RoleAssignment
from lastmeter.complaints.services import NewComplaint, do_file_complaint


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Reply letters and evidence files are written to MEDIA_ROOT; keep them out of the tree.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def second_reviewer(world) -> Person:
    user = get_user_model().objects.create_user(username="legal2", password="pass-legal2")
    person = Person.objects.create(name="法制员吴", user=user, phone="13800000009")
    RoleAssignment.objects.create(person=person, role=Role.LEGAL_REVIEWER, org_unit=world.station)
    return person


@pytest.fixture
def new_complaint(world):
    """Factory: a ticket complaint by phone on the statement line, about grid A's officer."""

    def make(actor=None, **overrides):
        data = dict(
            channel="statement_line",
            subject_kind="ticket",
            ticket_number="沪A0001234567",
            text="我在福州路临时停车卸货不到五分钟就被贴了罚单，现场有卸货标志，请求撤销。",
            complainant_name="钱先生",
            complainant_phone="13912340000",
            officer=world.grid_officer,
        )
        data.update(overrides)
        return do_file_complaint(NewComplaint(**data), actor=actor or world.dispatcher)

    return make
