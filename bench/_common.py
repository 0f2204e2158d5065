"""Shared helpers for the scripts in bench/ (kept deliberately small; other benchmarks import it).

Every benchmark:
- finds real data under the shared data directory (``data_path``/``require_data``);
  when data is absent it says so clearly, and exits non-zero if ``CI=true`` (never a silent skip in CI);
- measures a baseline in the same run and reports a ratio;
- writes JSON to ``bench/results/<name>.json`` (``write_result``) and prints one summary line.

Run a benchmark from the project root: ``.venv/bin/python bench/<name>.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"

# Make `import lastmeter` work when a script is run as `python bench/x.py` without installing the package.
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))


def in_ci() -> bool:
    """True when running in CI (``CI=true``), where absent data must fail loudly."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def data_dir() -> Path:
    """The shared data directory: ``$LASTMETER_DATA`` if set, else ``<project>/../shared/data``."""
    env = os.environ.get("LASTMETER_DATA")
    return Path(env) if env else PROJECT_ROOT.parent / "shared" / "data"


def data_path(*parts: str) -> Path:
    """Path to a file or folder under the shared data directory (may not exist)."""
    return data_dir().joinpath(*parts)


def missing_data(what: str) -> None:
    """Report absent data and stop: exit 1 under CI, exit 0 (an announced skip) otherwise. Never returns."""
    msg = f"[bench] DATA ABSENT: {what} (looked in {data_dir()}; set LASTMETER_DATA to override)"
    print(msg, file=sys.stderr)
    raise SystemExit(1 if in_ci() else 0)


def require_data(*rel_paths: str) -> list[Path]:
    """Resolve each relative path under the data dir; if any is absent call ``missing_data``."""
    paths = [data_path(p) for p in rel_paths]
    absent = [str(p) for p in paths if not p.exists()]
    if absent:
        missing_data(", ".join(absent))
    return paths


def percentiles(samples: Iterable[float], qs: Iterable[float] = (50, 90, 99)) -> dict[str, float]:
    """Percentiles of ``samples`` as ``{"p50": ..., "p99": ...}`` (linear interpolation, like numpy)."""
    xs = sorted(samples)
    if not xs:
        return {f"p{q:g}": float("nan") for q in qs}
    out = {}
    for q in qs:
        pos = (len(xs) - 1) * q / 100.0
        lo = int(pos)
        hi = min(lo + 1, len(xs) - 1)
        out[f"p{q:g}"] = xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)
    return out


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def write_result(name: str, payload: dict, summary: str | None = None) -> Path:
    """Write ``payload`` (plus run metadata) to ``bench/results/<name>.json``; print ``summary`` if given."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    doc = {
        "benchmark": name,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "commit": _git_commit(),
        "summary": summary,
        **payload,
    }
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False, default=float) + "\n", encoding="utf-8")
    if summary:
        print(summary)
    return path


# ---------------------------------------------------------------------- shared-machine diagnostics
# Benchmarks run on machines shared with other jobs.  These helpers record how busy the machine was, so
# that a wall-clock figure can be read next to the CPU time of the measured thread.


def machine_snapshot() -> dict:
    """Load average, machine-wide CPU ticks (``/proc/stat``, Linux) and this process's CPU time, now."""
    snap: dict = {
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "process_cpu_s": os.times()[0] + os.times()[1],
    }
    snap["wall_s"] = time.monotonic()
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = fh.readline().split()[1:]
        ticks = [int(x) for x in fields]
        snap["ticks"] = {
            "busy": ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6],  # user nice system irq softirq
            "steal": ticks[7] if len(ticks) > 7 else 0,
        }
    except (OSError, ValueError, IndexError):
        pass
    return snap


def machine_report(start: dict, end: dict) -> dict:
    """What else the machine did between two ``machine_snapshot``s.

    ``other_cpu_share``: CPU time used by *other* processes, as a share of all CPUs over the interval
    (0 = we had the machine to ourselves, 1 = every CPU was busy with other work); ``steal_share``: time
    the hypervisor gave our virtual CPUs to other guests, same unit.
    """
    out: dict = {"loadavg_start": start["loadavg"], "loadavg_end": end["loadavg"]}
    wall = end["wall_s"] - start["wall_s"]
    cpus = os.cpu_count() or 1
    if "ticks" in start and "ticks" in end and wall > 0:
        hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        busy = (end["ticks"]["busy"] - start["ticks"]["busy"]) / hz
        ours = end["process_cpu_s"] - start["process_cpu_s"]
        out["other_cpu_share"] = round(max(busy - ours, 0.0) / (wall * cpus), 3)
        out["steal_share"] = round((end["ticks"]["steal"] - start["ticks"]["steal"]) / hz / (wall * cpus), 3)
    out["seconds"] = round(wall, 1)
    return out


def wait_idle(process, *, quiet_cpu_s: float = 0.05, every_s: float = 2.0, limit_s: float = 240.0) -> None:
    """Wait until the web process has finished warming up (the road network, the triage models and
    the hotspot statistic load in background threads at start): its CPU time grows by less than
    ``quiet_cpu_s`` over ``every_s``. Otherwise the warm-up's CPU is counted against the requests."""
    deadline = time.monotonic() + limit_s
    last = sum(process.cpu_times()[:2])
    while time.monotonic() < deadline:
        time.sleep(every_s)
        now = sum(process.cpu_times()[:2])
        if now - last < quiet_cpu_s:
            return
        last = now
