"""Retention of complaints and mediation cases: a closed one loses its personal data after its
period (names, numbers and their hashes, addresses, free text, letters and evidence files, the
outbox's copies), each erasure is in the access log, and every figure of community work — the
complaint counts per unit and officer, decisions by kind, replies on time, cases by type, success
rate, days to agreement, recurrence — is exactly what it was.

The month of community work is the hand-computed one of docs/MEASURES.md
(``stats/tests/community_fixture.py``), given residents' data and closed here."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client

from lastmeter.accounts.models import AccessLog
from lastmeter.appeals.models import OutboxMessage
from lastmeter.appeals.notify.outbox import enqueue
from lastmeter.complaints.models import Complaint, ComplaintEvent, Decision, Evidence
from lastmeter.lib.fieldcrypt import phone_hash
from lastmeter.mediation.models import (
    Agreement,
    CaseEvent,
    Confirmation,
    FollowUp,
    MediationCase,
    Party,
    Session,
)
from lastmeter.ops.retention import ERASED, run_retention
from lastmeter.stats import community_work as cw
from lastmeter.stats.measures import Slice
from lastmeter.stats.tests.community_fixture import build_community_month

SH = ZoneInfo("Asia/Shanghai")
PHONE, NAME, WORDS = "13955556666", "钱先生", "钱先生说隔壁王某每晚敲墙"
CLOSED_LONG_AGO = datetime(2024, 4, 15, tzinfo=SH)
FIRST_RUN = datetime(2025, 2, 15, tzinfo=SH)  # complaints due; cases not past the recurrence horizon
SECOND_RUN = datetime(2025, 6, 1, tzinfo=SH)  # the cases too


def slices(world) -> list[Slice]:
    spans = [(date(2024, 3, 1), date(2024, 3, 31)), (date(2024, 1, 1), date(2024, 12, 31))]
    communities = [None, world.community_a.pk, world.community_b.pk]
    return [Slice(start, end, community_id=c) for start, end in spans for c in communities]


def figures(world) -> list[object]:
    measures = (
        cw.complaints_per_unit,
        cw.complaints_per_officer,
        cw.decisions_by_kind,
        cw.on_time_reply_rate,
        cw.mediation_cases_by_type,
        cw.mediation_success_rate,
        cw.days_to_agreement,
        cw.recurrence_within_90_days,
    )
    return [measure(sl) for sl in slices(world) for measure in measures]


def give_complaint_personal_data(complaint: Complaint, *, state: str, closed_at) -> None:
    complaint.complainant_name, complaint.complainant_phone = NAME, PHONE
    complaint.complainant_email, complaint.complainant_address = "qian@example.cn", "福州路100弄5号"
    complaint.text, complaint.ticket_number = WORDS, "3101000123"
    complaint.state, complaint.closed_at = state, closed_at
    complaint.save()
    ComplaintEvent.objects.create(complaint=complaint, kind="state", to_state=state, note=WORDS)
    evidence = Evidence.objects.create(complaint=complaint, kind="photo", description=WORDS)
    evidence.file.save("door.jpg", ContentFile(b"a photo of the complainant's door"))
    for decision in Decision.objects.filter(complaint=complaint):
        decision.reasons = WORDS
        decision.letter.save("letter.pdf", ContentFile(f"致{NAME}".encode()))
    sent = enqueue(
        key=f"complaint:{complaint.pk}:closed:1:sms",
        transport="sms",
        recipient={"phone": PHONE},
        body=f"{NAME}，您的投诉已办结",
    )
    assert sent is not None
    OutboxMessage.objects.filter(pk=sent.pk).update(state="sent")


def give_case_personal_data(world, case: MediationCase, *, closed_at) -> None:
    case.summary, case.address, case.outcome_note = WORDS, "福州路100弄5号502室", WORDS
    case.state, case.closed_at = "closed", closed_at
    case.save()
    party = Party.objects.create(case=case, name=NAME, phone=PHONE, side="applicant", consent_how="口头同意")
    Session.objects.create(case=case, held_at=case.opened_at, place="调解室", attendees=NAME, notes=WORDS)
    agreement = Agreement.objects.create(case=case, text=WORDS, terms=WORDS, drafted_at=case.opened_at)
    Confirmation.objects.create(agreement=agreement, party=party, how=f"{NAME}签字", at=case.opened_at)
    FollowUp.objects.create(case=case, due_on=date(2024, 4, 1), state="done", kept=True, note=WORDS)
    CaseEvent.objects.create(case=case, kind="state", to_state="closed", note=WORDS, data={"by": NAME})


def raw_rows(table: str, column: str, ids: list[int]) -> str:
    """Every value of the rows of ``table`` whose ``column`` is one of ``ids``, as one string."""
    q = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {q(table)} WHERE {q(column)} IN ({marks})", ids)
        rows = cursor.fetchall()
    assert rows, table
    return repr([v for row in rows for v in row])


@pytest.mark.django_db
def test_closed_complaints_and_cases_lose_personal_data_and_the_figures_stay(
    world, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.LASTMETER_COMPLAINT_RETENTION_DAYS = 30
    settings.LASTMETER_MEDIATION_RETENTION_DAYS = 30
    month = build_community_month(world)
    c = month.complaints
    for key in ("C1", "C3", "C5"):
        give_complaint_personal_data(c[key], state="closed", closed_at=CLOSED_LONG_AGO)
    give_complaint_personal_data(c["C6"], state="withdrawn", closed_at=CLOSED_LONG_AGO)
    give_complaint_personal_data(c["C2"], state="in_review", closed_at=None)  # still open
    give_complaint_personal_data(c["C4"], state="closed", closed_at=FIRST_RUN - timedelta(days=5))
    m = month.cases
    for key in ("M1", "M2", "M3", "M4", "M6"):
        give_case_personal_data(world, m[key], closed_at=CLOSED_LONG_AGO)
    erased_complaints = [c[k].pk for k in ("C1", "C3", "C5", "C6")]
    erased_cases = [m[k].pk for k in ("M1", "M2", "M3", "M4", "M6")]
    files = [Path(e.file.path) for e in Evidence.objects.filter(complaint_id__in=erased_complaints)]
    files += [Path(d.letter.path) for d in Decision.objects.filter(complaint_id__in=erased_complaints)]
    assert len(files) == 8 and all(f.exists() for f in files)  # four photos, four letters
    before = figures(world)
    officers = dict(Complaint.objects.values_list("pk", "officer_id"))

    with django_capture_on_commit_callbacks(execute=True):
        first = run_retention(now=FIRST_RUN)
    assert first.kinds["complaints"].erased == 4
    # Closed long ago, but opened less than the recurrence horizon ago: a new appeal by the same
    # party must still be linked to the case, so it keeps the party's hash.
    assert first.kinds["mediation cases"].due == 0
    assert Party.objects.filter(phone_hash=phone_hash(PHONE)).count() == 5
    with django_capture_on_commit_callbacks(execute=True):
        second = run_retention(now=SECOND_RUN)
    assert second.kinds["mediation cases"].erased == 5
    assert second.kinds["complaints"].erased == 1  # C4, closed five days before the first run
    assert run_retention(now=SECOND_RUN).erased == 0  # nothing left to do
    erased_complaints.append(c["C4"].pk)

    assert figures(world) == before

    # The complaints: the complainant and their words gone, the counted facts kept.
    for complaint in Complaint.objects.filter(pk__in=erased_complaints):
        assert complaint.personal_data_erased_at is not None
        assert (
            complaint.complainant_name,
            complaint.complainant_phone,
            complaint.complainant_phone_hash,
        ) == (
            "",
            "",
            "",
        )
        assert complaint.officer_id == officers[complaint.pk] and complaint.state in ("closed", "withdrawn")
    assert (
        not Complaint.objects.filter(complainant_phone_hash=phone_hash(PHONE)).exclude(pk=c["C2"].pk).exists()
    )
    assert [d.kind for d in Decision.objects.filter(complaint=c["C1"]).order_by("round")] == [
        "revoke",
        "uphold",
    ]
    assert set(
        Decision.objects.filter(complaint_id__in=erased_complaints).values_list("reasons", flat=True)
    ) == {""}
    assert not any(f.exists() for f in files)
    for table, column in (
        ("complaints_complaint", "id"),
        ("complaints_complaintevent", "complaint_id"),
        ("complaints_evidence", "complaint_id"),
        ("complaints_decision", "complaint_id"),
    ):
        dump = raw_rows(table, column, erased_complaints)
        for secret in (WORDS, NAME, "福州路100弄", "qian@example.cn", "3101000123", "letter.pdf", "door.jpg"):
            assert secret not in dump, (table, secret)
    for message in OutboxMessage.objects.filter(key__startswith="complaint:"):
        erased = int(message.key.split(":")[1]) in erased_complaints
        assert (message.recipient == {} and message.body == "") is erased, message.key

    # The open complaint keeps everything.
    kept = Complaint.objects.get(pk=c["C2"].pk)
    assert (kept.complainant_phone, kept.text, kept.personal_data_erased_at) == (PHONE, WORDS, None)

    # The cases: the parties and every word gone; sides, dates, outcomes and links kept.
    for table, column in (
        ("mediation_mediationcase", "id"),
        ("mediation_party", "case_id"),
        ("mediation_session", "case_id"),
        ("mediation_agreement", "case_id"),
        ("mediation_followup", "case_id"),
        ("mediation_caseevent", "case_id"),
    ):
        dump = raw_rows(table, column, erased_cases)
        for secret in (WORDS, NAME, "福州路100弄", "口头同意"):
            assert secret not in dump, (table, secret)
    assert set(Confirmation.objects.values_list("how", flat=True)) == {""}
    parties = Party.objects.filter(case_id__in=erased_cases)
    assert {(p.name, p.phone, p.phone_hash, p.side) for p in parties} == {("", "", "", "applicant")}
    assert not Party.objects.filter(phone_hash=phone_hash(PHONE)).exists()
    assert MediationCase.objects.get(pk=m["M5"].pk).personal_data_erased_at is None

    # Each erasure is in the access log, with what and why.
    entries = AccessLog.objects.filter(what=ERASED)
    assert entries.filter(object_type="complaints.complaint").count() == 5
    assert entries.filter(object_type="mediation.mediationcase").count() == 5
    entry = entries.get(object_type="complaints.complaint", object_id=str(c["C1"].pk))
    assert "30 days" in entry.why and "evidence 1" in entry.why and entry.person is None

    # The pages say so, and show nothing of the person.
    for username, path in (
        ("legal", f"/complaints/{c['C1'].pk}/"),
        ("officer_a", f"/mediation/{m['M1'].pk}/"),
    ):
        client = Client(headers={"accept-language": "zh-hans"})
        assert client.login(username=username, password="pass-" + username)
        page = client.get(path).content.decode()
        assert "保存期满后清除" in page and NAME not in page and WORDS not in page, path
