"""The background worker: each app's periodic job, composed in one loop.

Run as `lastmeter worker` (one or more processes), or in-process inside `lastmeter serve` for
the embedded default. One pass runs, in order:
- ``appeals.clocks.sweep``: warnings, breaches and escalation of the appeals' clocks;
- ``complaints.clocks.sweep``: the same for the complaints' acknowledgement and reply clocks;
- ``mediation.jobs.sweep_follow_ups`` and ``link_recurrences``: overdue follow-up visits, and new
  appeals linked to the mediation cases they recur in;
- ``intake.services.process_pending``: inbound items whose processing failed, retried with back-off;
- ``broadcasts.services.fire_due``: scheduled broadcasts whose time has come, into the outbox;
- ``appeals.notify.outbox.deliver_due``: outgoing messages due for (re)delivery;
- ``broadcasts.alerts.purge_closed``: photo and description of alerts closed past retention;
- ``stats.rollups.refresh``: the figures' daily rollup, rebuilt for the days that changed.
Each is idempotent and safe to run in several processes at once. This module is the top floor: it
imports the apps, no app imports it; a new background job is one public function in its app,
called from ``run_once``.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections

from lastmeter.appeals.clocks import sweep
from lastmeter.appeals.notify.outbox import deliver_due
from lastmeter.broadcasts.alerts import purge_closed
from lastmeter.broadcasts.services import fire_due
from lastmeter.complaints.clocks import sweep as sweep_complaints
from lastmeter.demo.live import start_demo
from lastmeter.intake.services import process_pending
from lastmeter.mediation.jobs import link_recurrences, sweep_follow_ups
from lastmeter.ops.health import beat
from lastmeter.stats.rollups import refresh as refresh_stats

log = logging.getLogger("lastmeter.worker")


def run_once() -> dict[str, int]:
    """One pass of every job; the counts of what each did (intake's prefixed ``intake_``)."""
    result = sweep()
    result.update(sweep_complaints())
    result.update(sweep_follow_ups())
    result.update(link_recurrences())
    result.update({f"intake_{k}": v for k, v in process_pending().items()})
    result.update(fire_due())
    result.update(deliver_due())
    result.update(purge_closed())
    result.update(refresh_stats())
    return result


def run_forever(interval_s: float = 5.0, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    while not stop.is_set():
        close_old_connections()
        try:
            run_once()
            beat()  # /readyz and /metrics report a worker whose passes stop
        except Exception:  # keep the loop alive; the next pass retries what failed
            log.exception("worker pass failed")
        stop.wait(interval_s)


def start_in_process(interval_s: float = 5.0) -> threading.Event:
    """The worker in a daemon thread of this process (`lastmeter serve`); set the event to stop it.

    Beside it runs the live demo (simulated officers, arriving appeals, incidents, SOS), which
    starts only when LASTMETER_DEMO_SIMULATION is on (default: only the embedded demo)."""
    stop = threading.Event()
    threading.Thread(
        target=run_forever, args=(interval_s, stop), name="lastmeter-worker", daemon=True
    ).start()
    start_demo(stop)
    return stop
