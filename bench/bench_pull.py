"""Pull SAFE score records from the simulated tenant through the client: wall time, requests made
against the minimum ceil(users / 500), and the client's peak memory, for 10,000 and 100,000 users.

The tenant runs in its own process so that its allocations do not count as the client's.

    .venv/bin/python bench/bench_pull.py [--users 10000 100000] [--auth oauth2|hmac]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import sys
import time
import tracemalloc
from dataclasses import dataclass

from splunk_app.mimecast import Client
from splunk_app.mimecast.client import MAX_PAGE_SIZE


def serve(users: int, auth: str, conn) -> None:
    """The tenant's process: start, send base URL and credentials, serve until told to stop."""
    from devkit.simulator import SimulatedTenant  # noqa: PLC0415 - only the child needs it

    with SimulatedTenant(users=users, seed=7, keep_requests=0, rate_limit=1_000_000) as tenant:
        conn.send((tenant.base_url, tenant.oauth2 if auth == "oauth2" else tenant.hmac))
        conn.recv()


@dataclass
class Figures:
    users: int
    records: int
    seconds: float
    requests: int
    minimum: int
    peak_bytes: int


def pull(base_url: str, credentials, users: int, auth: str) -> Figures:
    client = Client(base_url, credentials)
    started = time.perf_counter()
    records = sum(1 for _ in client.records("safe_score_details", page_size=MAX_PAGE_SIZE))
    seconds = time.perf_counter() - started
    requests = client.requests_made
    tracemalloc.start()
    traced = sum(1 for _ in Client(base_url, credentials).records("safe_score_details"))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    if traced != records:
        raise SystemExit(f"the traced pull saw {traced} records, the timed one {records}")
    minimum = math.ceil(users / MAX_PAGE_SIZE) + (1 if auth == "oauth2" else 0)
    return Figures(users, records, seconds, requests, minimum, peak)


def measure(users: int, auth: str) -> Figures:
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    tenant = context.Process(target=serve, args=(users, auth, theirs), daemon=True)
    tenant.start()
    try:
        base_url, credentials = ours.recv()
        return pull(base_url, credentials, users, auth)
    finally:
        ours.send("stop")
        tenant.join(30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--auth", choices=["oauth2", "hmac"], default="oauth2")
    args, _ = parser.parse_known_args(argv)
    results = [measure(users, args.auth) for users in args.users]
    print(
        f"pull safe_score_details through the client ({args.auth}, page size {MAX_PAGE_SIZE}, "
        f"Python {sys.version.split()[0]})"
    )
    for f in results:
        extra = " incl. 1 token request" if args.auth == "oauth2" else ""
        print(
            f"  {f.users:>7} users: {f.records} records in {f.seconds:.2f} s "
            f"({f.records / f.seconds:,.0f} records/s), {f.requests} requests "
            f"(minimum {f.minimum}{extra}), peak memory {f.peak_bytes / 1e6:.2f} MB"
        )
    if len(results) >= 2:
        small, large = results[0], results[-1]
        print(
            f"  ratio {large.users // small.users}x users: time x{large.seconds / small.seconds:.1f}, "
            f"requests x{large.requests / small.requests:.1f}, "
            f"peak memory x{large.peak_bytes / small.peak_bytes:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
