"""`lastmeter tokens issue|list|revoke`: API tokens for devices and integrations.

    lastmeter tokens issue --username dispatcher --label "console" [--scope read|write|positions] [--days 30]
    lastmeter tokens list [--username dispatcher]
    lastmeter tokens revoke 12

`issue` prints the token once; only its hash is stored, so a lost token is revoked and reissued.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lastmeter.accounts.choices import TokenScope
from lastmeter.accounts.models import ApiToken, Person
from lastmeter.accounts.tokens import issue_token, revoke_token
from lastmeter.lib.errors import ServiceError


class Command(BaseCommand):
    help = "Issue, list and revoke API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        issue = sub.add_parser("issue", help="issue a token and print it once")
        issue.add_argument("--username", required=True, help="the login of the person the token acts as")
        issue.add_argument("--label", required=True, help="what the token is for (device, integration)")
        issue.add_argument("--scope", default=TokenScope.WRITE, choices=TokenScope.values)
        issue.add_argument("--days", type=int, default=None, help="lifetime (default LASTMETER_TOKEN_DAYS)")
        listing = sub.add_parser("list", help="list tokens (never their secret)")
        listing.add_argument("--username", default=None)
        revoke = sub.add_parser("revoke", help="revoke a token by its id")
        revoke.add_argument("token_id", type=int)

    def handle(self, *args, action: str, **options):
        if action == "issue":
            person = Person.objects.filter(user__username=options["username"], active=True).first()
            if person is None:
                raise CommandError(f"no active person with the login {options['username']!r}", returncode=2)
            try:
                raw = issue_token(person, options["label"], scope=options["scope"], days=options["days"])
            except ServiceError as exc:
                raise CommandError(str(exc), returncode=2) from exc
            self.stdout.write(raw)
        elif action == "list":
            rows = ApiToken.objects.select_related("person__user").order_by("id")
            if options["username"]:
                rows = rows.filter(person__user__username=options["username"])
            now = timezone.now()
            for t in rows:
                state = "revoked" if t.revoked_at else ("expired" if t.expires_at <= now else "live")
                self.stdout.write(
                    f"{t.id}\t{t.prefix or '?'}…\t{t.person}\t{t.label}\t{t.scope}\t"
                    f"expires {t.expires_at:%Y-%m-%d}\t{state}"
                )
        elif action == "revoke":
            if not ApiToken.objects.filter(pk=options["token_id"]).exists():
                raise CommandError(f"no token {options['token_id']}", returncode=2)
            self.stdout.write("revoked" if revoke_token(options["token_id"]) else "already revoked")
