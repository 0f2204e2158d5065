"""Whether a simulation feeds the live pages of this process, and what it simulates.

The demo (lastmeter.demo.live, on the top floor) announces itself here when its thread starts, so
the command centre and the officer's phone can say which activity is simulated; ``web`` cannot ask
the demo itself (the floors). The demo runs only beside the in-process worker, so the pages and
the simulation share this process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

_lock = threading.Lock()
_describe: Callable[[], list[str]] | None = None


def announce(describe: Callable[[], list[str]]) -> None:
    """A simulation runs in this process; ``describe()`` says what it does, one sentence each, in
    the active language (called for every page, so each viewer reads it in their language)."""
    global _describe
    with _lock:
        _describe = describe


def withdraw() -> None:
    global _describe
    with _lock:
        _describe = None


def simulated() -> list[str]:
    """What the running simulation does, in the active language; [] when none runs."""
    with _lock:
        describe = _describe
    return describe() if describe is not None else []
