"""Group actions at Mimecast's limits: Mimecast calls and wall time to add N users to a group and remove them
again through the actions' own code (actions.act), against the simulated tenant on 127.0.0.1. The minimum
is ceil(N / 500) add calls and, for removes, the larger of ceil(N / 10) and what the 2,048-byte body limit
allows for the addresses used (`user<n>@simulated.example`, about 85 bytes an item).

    .venv/bin/python bench/bench_actions.py [--users 100 1000 5000]
"""

from __future__ import annotations

import argparse
import math
import sys
import time

from devkit.simulator import SimulatedTenant
from splunk_app import actions
from splunk_app.mimecast import Client

GROUP = "High Risk Users"


def one(users: int) -> tuple[int, float, int, float]:
    """(add calls, add seconds, remove calls, remove seconds) for `users` users."""
    with SimulatedTenant(users=0, seed=7, keep_requests=0, rate_limit=1_000_000) as tenant:
        client = Client(tenant.base_url, tenant.oauth2)
        client.post("find_groups", data=[{"query": GROUP}])  # the OAuth token, so it is not counted below
        group = actions.Group(tenant.group_id(GROUP), GROUP)
        targets = [actions.Target(f"user{n}@simulated.example", str(n)) for n in range(users)]
        figures = []
        for mode in ("add", "remove"):
            before, started = client.requests_made, time.perf_counter()
            outcomes = list(actions.act(client, mode, group, targets, dry_run=False))
            seconds = time.perf_counter() - started
            if not all(o.outcome == ("added" if mode == "add" else "removed") for o in outcomes):
                raise SystemExit(f"{mode}: not every user was handled")
            figures += [client.requests_made - before, seconds]
        return figures[0], figures[1], figures[2], figures[3]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[100, 1000, 5000])
    args = parser.parse_args()
    header = ("users", 7), ("add calls", 10), ("min", 5), ("add s", 7), ("remove calls", 13), ("min", 5)
    print(" ".join(f"{name:>{width}}" for name, width in header), f"{'remove s':>9}")
    for users in args.users:
        add_calls, add_s, remove_calls, remove_s = one(users)
        print(
            f"{users:>7} {add_calls:>10} {math.ceil(users / 500):>5} {add_s:>7.2f} "
            f"{remove_calls:>13} {math.ceil(users / 10):>5} {remove_s:>9.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
