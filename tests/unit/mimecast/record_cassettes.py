"""Records every endpoint's cassette, in both auth modes, from the simulated tenant.

    .venv/bin/python -m tests.mimecast.record_cassettes

Afterwards it checks that none of the tenant's keys or issued tokens reached a cassette.
"""

from __future__ import annotations

import sys

from devkit.simulator import SimulatedTenant
from splunk_app.mimecast import Client

from .cassette_config import CASSETTES, replayer
from .scenarios import RECORDINGS, SCENARIOS

USERS, SEED = 12, 3


def main() -> int:
    CASSETTES.mkdir(exist_ok=True)
    recorder = replayer(record_mode="all")
    secrets: set[str] = set()
    for name, auth in RECORDINGS:
        with SimulatedTenant(users=USERS, seed=SEED) as tenant:
            creds = tenant.oauth2 if auth == "oauth2" else tenant.hmac
            secrets.update(v for v in vars(tenant.keys).values())
            cassette = CASSETTES / f"{name}-{auth}.yaml"
            cassette.unlink(missing_ok=True)
            with recorder.use_cassette(cassette.name):
                SCENARIOS[name](Client(tenant.base_url, creds))
    leaked = [
        path.name
        for path in CASSETTES.glob("*-*.yaml")
        if any(secret in path.read_text() for secret in secrets)
    ]
    if leaked:
        print("secrets found in", leaked, file=sys.stderr)
        return 1
    print(f"recorded {len(RECORDINGS)} cassettes in {CASSETTES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
