"""The `lastmeter` console command: Django's management commands under the project's settings.

`lastmeter serve`, `lastmeter worker`, `lastmeter demo`, `lastmeter simulate` (the top floor's
commands, lastmeter/management/commands) and the apps' own (`lastmeter triage train ...`) are all
management commands; this wrapper only picks the settings module.
"""

from __future__ import annotations

import os
import sys

# Commands spelt with a hyphen on the command line; a module name cannot hold one.
ALIASES = {"rotate-keys": "rotate_keys"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lastmeter.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ALIASES:
        args[0] = ALIASES[args[0]]
    execute_from_command_line(["lastmeter", *args])


if __name__ == "__main__":
    main()
