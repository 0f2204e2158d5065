"""Profile: what one chat webhook costs inside the application — SQL statements and CPU — and,
since triage runs in the workers, what processing its item costs there.

Runs against a copy of the load benchmark's seeded template (bench/load.py: the demo jurisdiction
on PostgreSQL at 127.0.0.1:5432), through Django's test client (no web server: the application's
own cost), with the chat platforms configured as in the load benchmark. For ``--requests`` new-appeal
Telegram webhooks: the median number of SQL statements and CPU milliseconds per request; then the
same for processing each stored item (the worker's job, when the webhook no longer does it); and
cProfile's top functions of one request (``--profile-out``).

Run: ``.venv/bin/python bench/webhook_profile.py`` (after bench/load.py has seeded its template).
To profile another checkout's code with this script: ``PYTHONPATH=/path/to/checkout``.
Writes bench/results/webhook_profile[-LABEL].json and prints one summary line.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

from _common import PROJECT_ROOT, write_result
from load import PG_ADMIN, TEMPLATE_DB, admin_sql, database_exists, url_of

PROFILE_DB = "lastmeter_bench_webhook_profile"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=40)
    p.add_argument("--label", default="", help="a name for the code profiled (e.g. before/after)")
    p.add_argument("--profile-out", default="", help="write cProfile's top functions here")
    p.add_argument("--no-write", action="store_true", help="print the JSON instead of writing a result")
    p.add_argument("--show-sql", action="store_true", help="print the SQL of the last request")
    args = p.parse_args()
    if not database_exists(TEMPLATE_DB):
        raise SystemExit(f"no {TEMPLATE_DB}: run bench/load.py once to seed it ({PG_ADMIN})")
    admin_sql(
        f'DROP DATABASE IF EXISTS "{PROFILE_DB}" WITH (FORCE)',
        f'CREATE DATABASE "{PROFILE_DB}" TEMPLATE "{TEMPLATE_DB}"',
    )
    import lastmeter
    from lastmeter.ops.cluster import LOOPBACK_SECRET_KEY
    from lastmeter.testing.chat import ChatTraffic, appeal_text, platform_env

    print(f"[bench] profiling the code in {Path(lastmeter.__file__).parent}", flush=True)

    api = "http://127.0.0.1:9"  # nothing is sent: replies stay in the outbox
    os.environ.update(
        {
            "DATABASE_URL": url_of(PROFILE_DB),
            "DJANGO_SETTINGS_MODULE": "lastmeter.settings",
            "LASTMETER_LOG_LEVEL": "ERROR",
            "LASTMETER_SECRET_KEY": LOOPBACK_SECRET_KEY,  # the template's personal data is sealed with it
            "LASTMETER_ALLOWED_HOSTS": "testserver,127.0.0.1",
            **platform_env(api),
        }
    )
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from lastmeter.intake.models import InboundItem
    from lastmeter.intake.services import process_item
    from lastmeter.triage.services import warm_in_background

    warm_in_background()
    traffic = ChatTraffic(api, seed=7)
    client = Client()

    def webhook(n: int):
        resident = traffic.resident("telegram", 500_000 + n, chat=500 + n % 7)
        d = traffic.message("telegram", resident, appeal_text(700_000 + n * 13))
        return client.generic("POST", d.path, data=d.body, content_type="application/json", headers=d.headers)

    for n in range(5):  # warm-up: models, the road network, the adapters' first imports
        webhook(10_000 + n)
    request_sql, request_cpu = [], []
    before = set(InboundItem.objects.values_list("pk", flat=True))
    for n in range(args.requests):
        with CaptureQueriesContext(connection) as queries:
            t = time.process_time()
            r = webhook(n)
            request_cpu.append((time.process_time() - t) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"webhook answered {r.status_code}: {r.content[:300]!r}")
        request_sql.append(len(queries))
    if args.show_sql:
        for query in queries.captured_queries:
            print("   ", query["sql"][:160])
    profile = cProfile.Profile()
    profile.enable()
    webhook(args.requests + 1)
    profile.disable()
    stream = io.StringIO()
    pstats.Stats(profile, stream=stream).sort_stats("cumulative").print_stats(25)
    if args.profile_out:
        Path(args.profile_out).write_text(stream.getvalue())
    # What is left for a worker: the items the requests stored but did not decide.
    pending = list(
        InboundItem.objects.filter(status="pending")
        .exclude(pk__in=before)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    worker_sql, worker_cpu = [], []
    for pk in pending:
        with CaptureQueriesContext(connection) as queries:
            t = time.process_time()
            process_item(pk)
            worker_cpu.append((time.process_time() - t) * 1000)
        worker_sql.append(len(queries))
    result = {
        "label": args.label,
        "requests": args.requests,
        "request": {
            "sql_median": statistics.median(request_sql),
            "sql_max": max(request_sql),
            "cpu_ms_median": round(statistics.median(request_cpu), 2),
        },
        "worker_per_item": {
            "items": len(pending),
            "sql_median": statistics.median(worker_sql) if worker_sql else 0,
            "cpu_ms_median": round(statistics.median(worker_cpu), 2) if worker_cpu else 0,
        },
    }
    summary = (
        f"webhook_profile[{args.label}]: per request {result['request']['sql_median']} SQL, "
        f"{result['request']['cpu_ms_median']} ms CPU; per item in a worker "
        f"{result['worker_per_item']['sql_median']} SQL, {result['worker_per_item']['cpu_ms_median']} ms CPU"
    )
    connection.close()
    admin_sql(f'DROP DATABASE IF EXISTS "{PROFILE_DB}" WITH (FORCE)')
    if args.no_write:
        print(json.dumps(result))
        print(summary)
        return
    write_result(f"webhook_profile-{args.label}" if args.label else "webhook_profile", result, summary)


if __name__ == "__main__":
    sys.path.insert(0, str(PROJECT_ROOT / "bench"))
    main()
