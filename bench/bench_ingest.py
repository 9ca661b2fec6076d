"""Ingestion: a first (full) pull of the SAFE score input at 100,000 and 1,000,000 users, page size 500,
run as splunkd runs it (the bin/ script as a subprocess with the input definition on stdin, its REST calls
answered by the splunkd stand-in, the risk table synced into the stand-in's KV store).

Prints per size: wall time, the tenant's and the stand-in's own share of it (time spent inside their
request handlers, which the input waits for), events written, API requests against the minimum
ceil(users / 500) with token requests counted apart, KV store calls, and the input process's own peak
memory (its VmHWM); then the 1M / 100k ratios against the targets (time <= 11, memory <= 1.25).
Linux only (/proc).

    .venv/bin/python bench/bench_ingest.py [--users 100000 1000000]
"""

from __future__ import annotations

import argparse
import math
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Any

from devkit import modinput
from devkit.simulator import SimulatedTenant
from devkit.simulator.tenant import OAUTH_PATH
from devkit.splunkd import SplunkdStandIn
from splunk_app.risk.table import COLLECTION

INPUT_TYPE = "mimecast_at_safe_score"
DATA_PATH = "get-safe-score-details"
PAGE_SIZE = 500


class _Busy:
    """Seconds spent inside a server's request handler, summed over its threads."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._lock = threading.Lock()

    def timed(self, serve: Any) -> Any:
        def wrapper(*args: Any) -> Any:
            started = time.perf_counter()
            try:
                return serve(*args)
            finally:
                with self._lock:
                    self.seconds += time.perf_counter() - started

        return wrapper


def _timed(server: type, handler: str) -> type:
    """`server` (the tenant or the stand-in) with its request handler timed into `self.busy`."""

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        self.busy = _Busy()
        server.__init__(self, *args, **kwargs)

    def timed_handler(self: Any, *args: Any) -> Any:
        return self.busy.timed(getattr(server, handler).__get__(self))(*args)

    return type(f"Timed{server.__name__}", (server,), {"__init__": __init__, handler: timed_handler})


TimedTenant = _timed(SimulatedTenant, "serve")
TimedSplunkd = _timed(SplunkdStandIn, "_serve")


@dataclass
class Figures:
    users: int
    seconds: float
    tenant_seconds: float
    splunkd_seconds: float
    events: int
    data_requests: int
    token_requests: int
    other_requests: int
    kv_calls: int
    peak_kib: int
    rows: int


def run_input(splunkd: SplunkdStandIn, folder: str) -> tuple[int, float, int]:
    """(events, seconds, peak RSS in KiB) of one run; the stream is counted, not kept.

    The peak is the child's own VmHWM, read from /proc while it runs: ru_maxrss would also count the
    pages the child shared with this (large) parent between fork and exec."""
    definition = modinput.input_definition(
        f"{INPUT_TYPE}://bench",
        {"account": "bench", "page_size": str(PAGE_SIZE), "index": "mimecast"},
        server_uri=splunkd.uri,
        session_key=splunkd.session_key,
        checkpoint_dir=folder,
    )
    started = time.monotonic()
    process = modinput.start(modinput.script_path(INPUT_TYPE), definition)
    assert process.stdout is not None and process.stderr is not None
    peaks = [0]
    watcher = threading.Thread(target=_watch_high_water, args=(process, peaks), daemon=True)
    watcher.start()
    events, tail = 0, b""
    while chunk := process.stdout.read(1 << 20):
        data = tail + chunk
        events += data.count(b"</event>")
        tail = data[-7:]
    errors = process.stderr.read()
    watcher.join()
    if process.wait() != 0:
        raise SystemExit(f"{INPUT_TYPE} failed ({process.returncode}): {errors.decode()[-2000:]}")
    return events, time.monotonic() - started, peaks[0]


def _watch_high_water(process: subprocess.Popen[bytes], peaks: list[int]) -> None:
    while process.poll() is None:
        peaks[0] = max(peaks[0], _high_water_kib(process.pid))
        time.sleep(0.02)


def _high_water_kib(pid: int) -> int:
    """The process's peak resident set (VmHWM), 0 once it has exited."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def bench(users: int) -> Figures:
    with (
        TimedTenant(users=users, seed=3, rate_limit=1_000_000) as tenant,
        TimedSplunkd() as splunkd,
        tempfile.TemporaryDirectory(prefix="bench-ingest-") as folder,
    ):
        modinput.add_account(splunkd, "bench", tenant)
        splunkd.create_collection(COLLECTION)
        before_kv = len(splunkd.requests)
        tenant.busy.seconds = splunkd.busy.seconds = 0.0
        events, seconds, peak_kib = run_input(splunkd, folder)
        served = tenant.requests
        data = sum(1 for request in served if request.path.endswith(DATA_PATH))
        tokens = sum(1 for request in served if request.path == OAUTH_PATH)
        kv_calls = sum(1 for request in splunkd.requests[before_kv:] if "storage/collections" in request.path)
        return Figures(
            users,
            seconds,
            tenant.busy.seconds,
            splunkd.busy.seconds,
            events,
            data,
            tokens,
            len(served) - data - tokens,
            kv_calls,
            peak_kib,
            len(splunkd.collection(COLLECTION)),
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="*", default=[100_000, 1_000_000])
    args = parser.parse_args()
    figures = []
    for users in args.users:
        f = bench(users)
        figures.append(f)
        print(
            f"{f.users:>9,} users  {f.seconds:7.1f} s wall (tenant {f.tenant_seconds:5.1f} s, splunkd "
            f"stand-in {f.splunkd_seconds:5.1f} s, the input's own {f.seconds - f.tenant_seconds:6.1f} s)  "
            f"{f.events:>9,} events  {f.data_requests} data requests (minimum "
            f"{math.ceil(f.users / PAGE_SIZE)}) + {f.token_requests} token + {f.other_requests} other  "
            f"{f.kv_calls} KV calls  {f.rows:,} table rows  peak RSS {f.peak_kib / 1024:6.1f} MiB",
            flush=True,
        )
    if len(figures) >= 2:
        small, large = figures[0], figures[-1]
        own = (large.seconds - large.tenant_seconds) / (small.seconds - small.tenant_seconds)
        print(
            f"{large.users:,} / {small.users:,} users: wall time x{large.seconds / small.seconds:.1f}, the "
            f"input's own time x{own:.1f} (target <= 11), "
            f"peak RSS x{large.peak_kib / small.peak_kib:.2f} (target <= 1.25)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
