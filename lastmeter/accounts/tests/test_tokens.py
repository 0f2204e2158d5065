"""API tokens: hashed at rest, scoped, expiring, revocable; tokens issued before scopes existed
keep working after the migration."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from lastmeter.accounts.models import ApiToken
from lastmeter.accounts.tokens import issue_token, live_token, revoke_token, revoke_tokens_of


def api(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_it_stores_only_the_hash_and_a_prefix(world):
    raw = issue_token(world.dispatcher, "console")
    row = ApiToken.objects.get()
    assert row.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert row.prefix == raw[:8] and len(raw) > 40
    assert raw not in {str(v) for v in ApiToken.objects.values().get().values()}
    assert row.expires_at - timezone.now() > timedelta(days=89)


def test_it_refuses_an_expired_or_revoked_token_and_the_token_of_someone_who_left(world):
    raw = issue_token(world.dispatcher, "console", days=1)
    assert api(raw).get("/api/v1/appeals").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        assert api(raw).get("/api/v1/appeals").status_code == 401
    other = issue_token(world.dispatcher, "tablet")
    assert revoke_token(ApiToken.objects.get(label="tablet").pk)
    assert not revoke_token(ApiToken.objects.get(label="tablet").pk)  # once is enough
    assert api(other).get("/api/v1/appeals").status_code == 401
    third = issue_token(world.leader, "car")
    world.leader.active = False
    world.leader.save(update_fields=["active"])
    assert api(third).get("/api/v1/appeals").status_code == 401
    assert revoke_tokens_of(world.leader) == 1


def test_it_keeps_a_read_token_to_reading(world, new_appeal):
    appeal = new_appeal()
    raw = issue_token(world.dispatcher, "wallboard", scope="read")
    assert api(raw).get(f"/api/v1/appeals/{appeal.pk}").status_code == 200
    r = api(raw).post("/api/v1/sos", {"lat": 31.23, "lon": 121.47}, content_type="application/json")
    assert r.status_code == 403 and "scope" in r.json()["detail"]


def test_it_keeps_a_positions_token_to_reporting_positions(world):
    raw = issue_token(world.grid_officer, "car tracker", scope="positions")
    assert api(raw).get("/api/v1/appeals").status_code == 403
    r = api(raw).post("/api/v1/positions", {"lat": 31.23, "lon": 121.47}, content_type="application/json")
    assert r.status_code != 403  # past the token's scope; the endpoint answers for itself


def test_it_issues_lists_and_revokes_from_the_command_line(world):
    out = StringIO()
    call_command(
        "tokens", "issue", "--username", "dispatcher", "--label", "console", "--scope", "read", stdout=out
    )
    raw = out.getvalue().strip()
    assert api(raw).get("/api/v1/appeals").status_code == 200
    listing = StringIO()
    call_command("tokens", "list", stdout=listing)
    assert raw not in listing.getvalue() and raw[:8] in listing.getvalue() and "live" in listing.getvalue()
    token_id = ApiToken.objects.get().pk
    call_command("tokens", "revoke", str(token_id), stdout=StringIO())
    assert api(raw).get("/api/v1/appeals").status_code == 401
    with pytest.raises(CommandError):
        call_command("tokens", "issue", "--username", "nobody", "--label", "x", stdout=StringIO())


@pytest.mark.django_db(transaction=True)
def test_it_migrates_tokens_issued_before_scopes_and_expiry():
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0006_accesslog_options")])
    apps = MigrationExecutor(connection).loader.project_state([("accounts", "0006_accesslog_options")]).apps
    Person = apps.get_model("accounts", "Person")
    OldToken = apps.get_model("accounts", "ApiToken")
    person = Person.objects.create(name="调度员")
    live_raw, dead_raw = "lm_live-token-from-before", "lm_revoked-token-from-before"
    OldToken.objects.create(
        person=person, label="old", key_hash=hashlib.sha256(live_raw.encode()).hexdigest()
    )
    OldToken.objects.create(
        person=person, label="gone", key_hash=hashlib.sha256(dead_raw.encode()).hexdigest(), revoked=True
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    live = ApiToken.objects.get(label="old")
    gone = ApiToken.objects.get(label="gone")
    assert live.scope == "write" and live.revoked_at is None
    assert live.expires_at - timezone.now() > timedelta(days=89)
    assert gone.revoked_at is not None
    assert live_token(live_raw) == live and live_token(dead_raw) is None


def test_it_records_when_a_token_was_last_used_to_the_minute_not_on_every_request(world):
    raw = issue_token(world.dispatcher, "console")
    assert ApiToken.objects.get().last_used_at is None
    assert api(raw).get("/api/v1/appeals").status_code == 200
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    with time_machine.travel(first + timedelta(seconds=30)):
        assert api(raw).get("/api/v1/appeals").status_code == 200
    assert ApiToken.objects.get().last_used_at == first  # within the minute: not written again
    later = first + timedelta(minutes=1, seconds=5)
    with time_machine.travel(later, tick=False):
        assert api(raw).get("/api/v1/appeals").status_code == 200
    assert ApiToken.objects.get().last_used_at == later
