"""Sizing: events and megabytes per 1,000 users per day for each data set, measured on the simulated tenant.

How it is measured: every input of the demo runs through its bin/ script as splunkd runs it (the demo's
accounts and settings, the inputs' default options, page size 500) against a simulated tenant of --users
users, in the demo's order (the training input reads the risk table the others fill). That first run is a
full snapshot, and each input sends a full snapshot again at least once per full_snapshot_hours (24 by
default): one snapshot per day is the floor. Then --changed percent of the users change (new grades,
counts, watch-list entries) and every input runs again: what the hourly runs add on a day when that many
users changed. Bytes are the events' raw JSON (what Splunk's licence meters); MB are 10^6 bytes. The
training input asks per user and sends at most max_users_per_run users (100) per run, so its figure is per
run, not per 1,000 users.

Usage: python bench/bench_sizing.py [--users 1000] [--changed 5] [--seed 7]
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path

from devkit import demo
from devkit.simulator import SimulatedTenant
from devkit.splunkd import SplunkdStandIn

CAPPED = "max_users_per_run"
# The demo's inputs with the catalogue's defaults (the demo caps the training input at 25 users a run).
INPUTS = tuple(
    demo.DemoInput(spec.kind, spec.account, {k: v for k, v in spec.params.items() if k != CAPPED})
    for spec in demo.INPUTS
)


def pull_all(splunkd: SplunkdStandIn, checkpoints: Path) -> dict[str, Counter[str]]:
    """One run of every input: {input: Counter(sourcetype -> events, sourcetype + ' bytes' -> bytes)}."""
    found: dict[str, Counter[str]] = {}
    for spec in INPUTS:
        done = demo.run_input(spec, splunkd, checkpoints)
        counts: Counter[str] = Counter()
        for event in done.events:
            counts[event.sourcetype] += 1
            counts[f"{event.sourcetype} bytes"] += len(event.data.encode("utf-8"))
        found[spec.kind] = counts
    return found


def report(title: str, runs: dict[str, Counter[str]], users: int) -> None:
    per = 1000 / users
    print(f"\n{title}")
    print(
        f"  {'input':34} {'sourcetype':38} {'events':>10} {'MB':>9} {'ev/1k users':>12} {'MB/1k users':>12}"
    )
    total_events = total_bytes = 0
    for kind, counts in runs.items():
        sourcetypes = sorted(name for name in counts if not name.endswith(" bytes")) or ["(none)"]
        for sourcetype in sourcetypes:
            events, size = counts[sourcetype], counts[f"{sourcetype} bytes"]
            total_events += events
            total_bytes += size
            print(
                f"  {kind:34} {sourcetype:38} {events:>10,} {size / 1e6:>9.3f} "
                f"{events * per:>12,.0f} {size / 1e6 * per:>12.3f}"
            )
    print(
        f"  {'all inputs':34} {'':38} {total_events:>10,} {total_bytes / 1e6:>9.3f} "
        f"{total_events * per:>12,.0f} {total_bytes / 1e6 * per:>12.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--changed", type=float, default=5.0, help="percent of users changed in a day")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    changed = round(args.users * args.changed / 100)
    print(f"Sizing on a simulated tenant of {args.users:,} users (seed {args.seed}); {changed:,} changed")
    with (
        SimulatedTenant(users=args.users, seed=args.seed) as tenant,
        SplunkdStandIn() as splunkd,
        tempfile.TemporaryDirectory(prefix="mimecast-sizing-") as work,
    ):
        demo.configure(splunkd, tenant)
        checkpoints = Path(work)
        report("Full snapshot (sent at least once a day)", pull_all(splunkd, checkpoints), args.users)
        tenant.advance(changed=changed)
        later = pull_all(splunkd, checkpoints)
        report(f"A later run after {args.changed:g}% of the users changed", later, args.users)


if __name__ == "__main__":
    main()
