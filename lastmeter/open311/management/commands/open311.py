"""`lastmeter open311 issue-key NAME [--person ID]` · `lastmeter open311 revoke-key NAME`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lastmeter.accounts.models import Person
from lastmeter.open311.models import Open311Key, issue_key


class Command(BaseCommand):
    help = "Manage the API keys of Open311 clients (only their hash is stored)."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        issue = sub.add_parser("issue-key", help="create a key and print it once")
        issue.add_argument("name")
        issue.add_argument("--person", type=int, help="person recorded as the filer of its requests")
        revoke = sub.add_parser("revoke-key", help="deactivate every key of this client name")
        revoke.add_argument("name")

    def handle(self, *args, **options) -> None:
        if options["action"] == "issue-key":
            person = None
            if options.get("person"):
                person = Person.objects.filter(pk=options["person"]).first()
                if person is None:
                    raise CommandError(f"no person {options['person']}")
            self.stdout.write(issue_key(options["name"], person))
        else:
            count = Open311Key.objects.filter(name=options["name"], active=True).update(active=False)
            if not count:
                raise CommandError(f"no active key named {options['name']!r}")
            self.stdout.write(f"revoked {count} key(s)")
