"""The long Schemathesis runs over /api/v1 and /open311/v2: the fuzz tests of
web/tests/test_api_fuzz.py (the API's own OpenAPI, as staff roles) and
open311/tests/test_open311_fuzz.py (the Open311 GeoReport v2 Swagger file, as anonymous, a valid
api_key and a revoked one), with many more generated requests per operation (``--examples``,
default 50). ``--only api`` or ``--only open311`` runs one of them.

Baseline: the bounded run that `make test` does (3 examples per operation), measured in the same
run, so the ratio says how much more of the input space the long run covered for its time.
Writes bench/results/fuzz_api.json: per API and role the operations fuzzed and every failure
found (operation → Schemathesis's report); a clean run has none.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import PROJECT_ROOT, write_result

TESTS = {
    "api": "lastmeter/web/tests/test_api_fuzz.py",
    "open311": "lastmeter/open311/tests/test_open311_fuzz.py::test_open311_answers_generated_requests_as_documented",
}


def run(examples: int, tests: list[str]) -> tuple[float, list[dict], int]:
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl", delete=False) as report:
        env = {**os.environ, "LASTMETER_FUZZ_EXAMPLES": str(examples), "LASTMETER_FUZZ_REPORT": report.name}
        env["PYTHONPATH"] = str(PROJECT_ROOT)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", *tests, "-q", "-p", "no:cacheprovider"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        text = Path(report.name).read_text(encoding="utf-8")
        lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    os.unlink(report.name)
    return seconds, lines, done.returncode


def key(report: dict) -> str:
    """api/v1:dispatcher, open311:api_key… (the /api/v1 test's lines have no "api" field)."""
    return f"{report.get('api', 'api/v1')}:{report['role']}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50)
    parser.add_argument("--only", choices=sorted(TESTS), help="run one API's fuzz test")
    args = parser.parse_args()
    tests = [TESTS[args.only]] if args.only else list(TESTS.values())
    base_s, base, base_rc = run(3, tests)
    long_s, roles, long_rc = run(args.examples, tests)
    failures = {key(r): r["failures"] for r in roles}
    count = sum(len(f) for f in failures.values())
    calls = sum(r["operations"] * r["examples"] for r in roles)
    summary = (
        f"fuzz_api: {len(roles)} API × role runs, {sum(r['operations'] for r in roles)} operation runs × "
        f"{args.examples} examples in {long_s:.0f} s (bounded run {base_s:.0f} s, ratio "
        f"{long_s / base_s:.1f}); {count} failing operations"
    )
    write_result(
        "fuzz_api",
        {
            "examples": args.examples,
            "generated_requests_at_most": calls,
            "seconds": round(long_s, 1),
            "baseline_examples": 3,
            "baseline_seconds": round(base_s, 1),
            "ratio": round(long_s / base_s, 2),
            "apis": sorted({r.get("api", "api/v1") for r in roles}),
            "operations": {key(r): r["operations"] for r in roles},
            "baseline_failures": {key(r): r["failures"] for r in base},
            "failures": failures,
            "exit_codes": {"baseline": base_rc, "long": long_rc},
        },
        summary,
    )
    return 1 if count else 0


if __name__ == "__main__":
    raise SystemExit(main())
