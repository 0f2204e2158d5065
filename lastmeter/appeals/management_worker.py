"""The background worker: sweeps clocks and delivers the outbox in one loop.

Run as `lastmeter worker` (one or more processes), or in-process inside `lastmeter serve` for
the embedded demo. Both tasks are idempotent and safe to run in several processes at once.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections

from lastmeter.appeals.clocks import sweep
from lastmeter.appeals.notify.outbox import deliver_due

log = logging.getLogger("lastmeter.worker")


def run_once() -> dict[str, int]:
    from lastmeter.intake.services import process_pending  # inbound items whose processing failed

    result = sweep()
    result.update({f"intake_{k}": v for k, v in process_pending().items()})
    result.update(deliver_due())
    return result


def run_forever(interval_s: float = 5.0, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    while not stop.is_set():
        close_old_connections()
        try:
            run_once()
        except Exception:  # keep the loop alive; the next pass retries what failed
            log.exception("worker pass failed")
        stop.wait(interval_s)


def start_in_process(interval_s: float = 5.0) -> threading.Event:
    stop = threading.Event()
    threading.Thread(
        target=run_forever, args=(interval_s, stop), name="lastmeter-worker", daemon=True
    ).start()
    # Hook: the live demo (simulated officers, arriving appeals, incidents, SOS) beside the worker;
    # it starts only when LASTMETER_DEMO_SIMULATION is on (default: only the embedded demo).
    from lastmeter.web.demo_live import start_demo

    start_demo(stop)
    return stop
