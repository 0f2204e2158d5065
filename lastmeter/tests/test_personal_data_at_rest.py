"""Residents' names and phones are encrypted at rest and found by a keyed hash; rotating either key
keeps everything readable; the migration encrypts rows that existed before it.

The raw columns are read with a plain SQL cursor, as someone holding a copy of the database would
read them."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from lastmeter.appeals.models import Appeal, Subscription
from lastmeter.broadcasts.choices import OptInChannel
from lastmeter.broadcasts.models import SmsSubscriber
from lastmeter.broadcasts.replies import do_subscribe, do_unsubscribe
from lastmeter.cli import main
from lastmeter.complaints.models import Complaint
from lastmeter.lib.fieldcrypt import normalise_phone, phone_hash
from lastmeter.lib.keyrotation import personal_data_columns
from lastmeter.mediation.models import MediationCase, Party

NAME, PHONE = "刘女士", "13912345678"
OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()

# Every column holding a resident's name or phone: table, primary key column, columns.
RAW = {
    "appeals_appeal": ("reporter_name", "reporter_phone"),
    "appeals_subscription": ("name", "phone"),
    "complaints_complaint": ("complainant_name", "complainant_phone"),
    "mediation_party": ("name", "phone"),
    "broadcasts_smssubscriber": ("phone",),
}


def raw_values(table: str, columns: tuple[str, ...]) -> list[str]:
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(q(c) for c in columns)} FROM {q(table)}")
        return [value for row in cursor.fetchall() for value in row]


def every_raw_value() -> list[str]:
    return [v for table, columns in RAW.items() for v in raw_values(table, columns)]


@pytest.fixture
def keys(settings):
    settings.LASTMETER_FIELD_KEYS = [OLD_KEY]
    settings.LASTMETER_HASH_KEY = "hash-key-one"
    return settings


@pytest.fixture
def residents(keys, world, new_appeal):
    """One resident's name and number in every model that holds them."""
    appeal = new_appeal(reporter_name=NAME, reporter_phone=PHONE)
    Subscription.objects.create(appeal=appeal, name=NAME, phone="+86 139 1234 5678", channel="web")
    complaint = Complaint.objects.create(
        channel="web",
        complainant_name=NAME,
        complainant_phone="139-1234-5678",
        subject_kind="conduct",
        text="执法态度粗暴",
    )
    case = MediationCase.objects.create(
        reference="MD-T1",
        source="appeal",
        appeal=appeal,
        dispute_type="neighbour",
        summary="噪音纠纷",
        mediator=world.grid_officer,
        mediator_kind="community_police",
        opened_at=timezone.now(),
    )
    Party.objects.create(case=case, name=NAME, phone="008613912345678", side="applicant")
    SmsSubscriber.objects.create(
        phone=PHONE, community=world.community_a, opted_in_at=timezone.now(), opt_in_channel=OptInChannel.SMS
    )
    return appeal, complaint


def test_it_normalises_one_number_written_many_ways():
    spellings = ["13912345678", "139 1234 5678", "+86 139-1234-5678", "008613912345678", "8613912345678"]
    assert {normalise_phone(s) for s in spellings} == {"+8613912345678"}
    assert normalise_phone("021-6321 0000") == "+862163210000"
    assert normalise_phone("+44 20 7946 0000") == "+442079460000"
    assert normalise_phone("  ") == "" and phone_hash("") == ""
    assert phone_hash(PHONE, key="a") != phone_hash(PHONE, key="b")


@pytest.mark.django_db
def test_it_keeps_no_plaintext_in_the_database(residents):
    values = every_raw_value()
    assert len(values) == 9
    for value in values:
        assert NAME not in value and "12345678" not in value and "5678" not in value
        # Each is a Fernet token of the configured key.
        assert Fernet(OLD_KEY).decrypt(value.encode()).decode() in {NAME, PHONE} | {
            "+86 139 1234 5678",
            "139-1234-5678",
            "008613912345678",
        }
    # The same text twice is two different tokens (a random IV): equal values do not show.
    appeal_name, _phone = raw_values("appeals_appeal", RAW["appeals_appeal"])
    assert raw_values("mediation_party", ("name",))[0] != appeal_name
    # Read through the models, it is the text again.
    appeal, complaint = residents
    appeal.refresh_from_db()
    complaint.refresh_from_db()
    assert (appeal.reporter_name, appeal.reporter_phone) == (NAME, PHONE)
    assert complaint.complainant_phone == "139-1234-5678"


@pytest.mark.django_db
def test_it_finds_a_number_by_its_hash_however_it_is_written(residents):
    wanted = phone_hash("+86 139-1234-5678")
    appeal, complaint = residents
    assert list(Appeal.objects.filter(reporter_phone_hash=wanted)) == [appeal]
    assert Subscription.objects.filter(phone_hash=wanted).count() == 1
    assert list(Complaint.objects.filter(complainant_phone_hash=wanted)) == [complaint]
    assert Party.objects.filter(phone_hash=wanted).count() == 1
    # The SMS subscriber's "退订" from the number written another way finds the same row.
    sub = do_unsubscribe("+8613912345678")
    assert sub is not None and sub.opted_out_at is not None
    assert do_subscribe("139 1234 5678", sub.community).pk == sub.pk
    assert SmsSubscriber.objects.count() == 1


@pytest.mark.django_db
def test_it_refuses_to_filter_by_an_encrypted_value(residents):
    with pytest.raises(FieldError, match="encrypted"):
        list(Appeal.objects.filter(reporter_phone=PHONE))
    with pytest.raises(FieldError):
        list(Appeal.objects.filter(reporter_name__icontains="刘"))
    # "is there a number at all?" still works.
    assert Appeal.objects.exclude(reporter_phone="").count() == 1


@pytest.mark.django_db
def test_it_rotates_both_keys_and_everything_stays_readable(residents, keys):
    appeal, _complaint = residents
    before = every_raw_value()
    old_hash = appeal.reporter_phone_hash

    keys.LASTMETER_FIELD_KEYS = [NEW_KEY, OLD_KEY]  # step 1: the new key first, the old one kept
    keys.LASTMETER_HASH_KEY = "hash-key-two"
    call_command("rotate_keys")

    after = every_raw_value()
    assert len(after) == len(before) and not set(after) & set(before)
    for value in after:  # the new key alone opens every row now
        Fernet(NEW_KEY).decrypt(value.encode())
        with pytest.raises(InvalidToken):
            Fernet(OLD_KEY).decrypt(value.encode())

    keys.LASTMETER_FIELD_KEYS = [NEW_KEY]  # step 2: the old key removed
    appeal.refresh_from_db()
    assert (appeal.reporter_name, appeal.reporter_phone) == (NAME, PHONE)
    assert appeal.reporter_phone_hash == phone_hash(PHONE) != old_hash
    assert list(Appeal.objects.filter(reporter_phone_hash=phone_hash(PHONE))) == [appeal]
    assert {p.name for p in Party.objects.all()} == {NAME}
    assert SmsSubscriber.objects.get(phone_hash=phone_hash(PHONE)).phone == PHONE

    keys.LASTMETER_FIELD_KEYS = [OLD_KEY]  # a database rotated away from a key is closed to it
    with pytest.raises(InvalidToken):
        Appeal.objects.get(pk=appeal.pk)


def test_it_rotates_every_model_that_holds_personal_data():
    labels = {c.label for c in personal_data_columns()}
    assert labels == {
        "appeals.Appeal",
        "appeals.OutboxMessage",
        "appeals.Subscription",
        "broadcasts.Delivery",
        "broadcasts.SmsSubscriber",
        "complaints.Complaint",
        "mediation.Party",
    }


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    loader = MigrationExecutor(connection).loader
    return loader.project_state(list(loader.applied_migrations)).apps


@pytest.mark.django_db(transaction=True)
def test_it_encrypts_the_rows_that_existed_before_the_migration(keys):
    apps = _migrate([("appeals", "0007_transfer_open_index"), ("mediation", "0002_field_verbose_names")])
    OldAppeal = apps.get_model("appeals", "Appeal")
    old = OldAppeal.objects.create(
        channel="web", text="楼下噪音", reporter_name=NAME, reporter_phone="139 1234 5678", state="received"
    )
    OldAppeal.objects.create(channel="web", text="无名氏", state="received")
    assert raw_values("appeals_appeal", ("reporter_phone",)) == ["139 1234 5678", ""]

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    tokens = raw_values("appeals_appeal", ("reporter_name", "reporter_phone"))
    assert "139 1234 5678" not in tokens and NAME not in tokens
    appeal = Appeal.objects.get(pk=old.pk)
    assert (appeal.reporter_name, appeal.reporter_phone) == (NAME, "139 1234 5678")
    assert appeal.reporter_phone_hash == phone_hash(PHONE)
    assert Appeal.objects.exclude(pk=old.pk).get().reporter_phone_hash == ""

    # And back: reversing the migration gives the plaintext back.
    _migrate([("appeals", "0007_transfer_open_index"), ("mediation", "0002_field_verbose_names")])
    assert sorted(raw_values("appeals_appeal", ("reporter_phone",))) == ["", "139 1234 5678"]
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_it_prints_a_new_key_for_the_rotation_under_its_hyphenated_name(capsys):
    main(["rotate-keys", "--generate"])
    key = capsys.readouterr().out.strip()
    assert Fernet(key).decrypt(Fernet(key).encrypt(b"ok")) == b"ok" and key not in (OLD_KEY, NEW_KEY)
