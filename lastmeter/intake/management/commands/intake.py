"""`lastmeter intake retry [--failed] | import-chat FILE --group NAME | import-calls FILE.csv`."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from lastmeter.intake.importers import ImportErrorWithLine, import_calls, import_chat
from lastmeter.intake.services import process_pending, requeue_failed


class Command(BaseCommand):
    help = "Process pending inbound items; import chat exports and hotline call logs."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        retry = sub.add_parser("retry", help="process due items (and requeue failed ones with --failed)")
        retry.add_argument("--failed", action="store_true", help="requeue items that gave up first")
        retry.add_argument("--limit", type=int, default=500)
        chat = sub.add_parser("import-chat", help="plain-text ('2026-11-20 08:01 张三: …') or CSV export")
        chat.add_argument("file")
        chat.add_argument("--group", required=True, help="the group's name (its thread id)")
        calls = sub.add_parser("import-calls", help="hotline call log CSV")
        calls.add_argument("file")

    def handle(self, *args, **options) -> None:
        action = options["action"]
        try:
            if action == "retry":
                requeued = requeue_failed() if options["failed"] else 0
                result = {"requeued": requeued, **process_pending(limit=options["limit"])}
            elif action == "import-chat":
                result = import_chat(options["file"], group=options["group"])
            else:
                result = import_calls(options["file"])
        except (ImportErrorWithLine, OSError) as exc:
            raise CommandError(str(exc), returncode=2) from None
        self.stdout.write(json.dumps(result, ensure_ascii=False))
