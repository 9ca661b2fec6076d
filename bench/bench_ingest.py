"""Ingestion: the SAFE score, watch-list and performance inputs (modules included) pull 10,000 and
100,000 users from the simulated tenant, each run as splunkd runs it (the bin/ script as a subprocess
with the input definition on stdin, its REST calls answered by the splunkd stand-in).

Prints per size and input: wall time, events written, API requests (and the floor, ceil(users / page
size) data pages), KV store calls, and the input process's peak memory (its VmHWM), so the 10,000 and
100,000 figures show whether memory grows with the number of users. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import math
import subprocess
import tempfile
import threading
import time

from devkit import modinput
from devkit.simulator import SimulatedTenant
from devkit.splunkd import SplunkdStandIn
from splunk_app.risk.table import COLLECTION

INPUTS = {
    "mimecast_at_safe_score": ("get-safe-score-details", {}),
    "mimecast_at_watchlist": ("get-watchlist-details", {}),
    "mimecast_at_performance": ("get-performance-details", {"include_user_details": "1"}),
}
PAGE_SIZE = 500


def run_input(
    input_type: str, params: dict[str, str], splunkd: SplunkdStandIn, folder: str
) -> tuple[int, float, int]:
    """(events, seconds, peak RSS in KiB) of one run; the stream is counted, not kept.

    The peak is the child's own VmHWM, read from /proc while it runs: ru_maxrss would also count the
    pages the child shared with this (large) parent between fork and exec."""
    definition = modinput.input_definition(
        f"{input_type}://bench",
        {"account": "bench", "page_size": str(PAGE_SIZE), "index": "mimecast", **params},
        server_uri=splunkd.uri,
        session_key=splunkd.session_key,
        checkpoint_dir=folder,
    )
    started = time.monotonic()
    process = modinput.start(modinput.script_path(input_type), definition)
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
    peak_kib = peaks[0]
    if process.wait() != 0:
        raise SystemExit(f"{input_type} failed ({process.returncode}): {errors.decode()[-2000:]}")
    return events, time.monotonic() - started, peak_kib


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


def bench(users: int) -> None:
    with (
        SimulatedTenant(users=users, seed=3) as tenant,
        SplunkdStandIn() as splunkd,
        tempfile.TemporaryDirectory(prefix="bench-ingest-") as folder,
    ):
        modinput.add_account(splunkd, "bench", tenant)
        splunkd.create_collection(COLLECTION)
        for input_type, (path, params) in INPUTS.items():
            before_api, before_kv = len(tenant.requests), len(splunkd.requests)
            events, seconds, peak_kib = run_input(input_type, params, splunkd, folder)
            served = tenant.requests[before_api:]
            pages = sum(1 for request in served if request.path.endswith(path))
            kv_calls = sum(
                1 for request in splunkd.requests[before_kv:] if "storage/collections" in request.path
            )
            listed = (
                sum(1 for _ in tenant.expected(f"/api/awareness-training/company/{path}", []))
                if input_type == "mimecast_at_watchlist"
                else users
            )
            print(
                f"{users:>7,} users  {input_type:<24} {seconds:7.1f} s  {events:>9,} events  "
                f"{len(served):>4} API requests ({pages} data pages, floor {math.ceil(listed / PAGE_SIZE)})  "
                f"{kv_calls:>4} KV calls  peak RSS {peak_kib / 1024:6.1f} MiB",
                flush=True,
            )
        print(f"{users:>7,} users  risk table rows: {len(splunkd.collection(COLLECTION)):,}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="*", default=[10_000, 100_000])
    args = parser.parse_args()
    for users in args.users:
        bench(users)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
