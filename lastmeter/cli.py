"""The `lastmeter` console command: Django's management commands under the project's settings.

`lastmeter serve`, `lastmeter worker`, `lastmeter demo`, `lastmeter simulate` (the top floor's
commands, lastmeter/management/commands) and the apps' own (`lastmeter triage train ...`) are all
management commands; this wrapper only picks the settings module.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lastmeter.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["lastmeter", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
