"""What a hostile answer costs the client: wall time and the process's peak memory for one paged call
against each behaviour of devkit/hostile.py, each in a fresh process (so one peak does not hide another),
with the shipped defaults except a 5 s request deadline (the slow ones would take the default 300 s)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from devkit.hostile import BEHAVIOURS, HostileMimecast

PROBE = """
import json, resource, sys, time
from splunk_app.mimecast import Client, HmacCredentials, Limits, MimecastError
client = Client(sys.argv[1], HmacCredentials(**json.loads(sys.argv[2])), limits=Limits(request_seconds=5.0))
started, outcome, pages = time.monotonic(), "ok", 0
try:
    for page in client.pages("safe_score_details", page_size=100):
        pages += 1
except MimecastError as err:
    outcome = type(err).__name__
print(json.dumps({"outcome": outcome, "pages": pages, "seconds": time.monotonic() - started,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
SKIPPED = {"endless_tokens": "20,000 pages by design; the page cap is tested with a small cap"}


def main() -> int:
    print(f"{'behaviour':<18} {'outcome':<18} {'pages':>5} {'seconds':>8} {'peak MiB':>9}")
    for behaviour in BEHAVIOURS:
        if behaviour in SKIPPED:
            print(f"{behaviour:<18} skipped: {SKIPPED[behaviour]}")
            continue
        with HostileMimecast(behaviour, users=500) as server:
            keys = server.keys
            credentials = {"app_id": keys.app_id, "app_key": keys.app_key, "access_key": keys.access_key,
                           "secret_key": keys.secret_key}  # fmt: skip
            started = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-c", PROBE, server.base_url, json.dumps(credentials)],
                capture_output=True, text=True, timeout=600, check=False,
            )  # fmt: skip
        if done.returncode != 0:
            print(f"{behaviour:<18} failed after {time.monotonic() - started:.1f} s: {done.stderr[-300:]}")
            continue
        found = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{behaviour:<18} {found['outcome']:<18} {found['pages']:>5} {found['seconds']:>8.2f} "
            f"{found['peak_mib']:>9.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
