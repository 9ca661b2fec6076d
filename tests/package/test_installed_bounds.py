"""The client's bounds hold in the built app as Splunk runs it: the app's own lib/ (urllib3 1.x, vendored
for splunktaucclib) under Python 3.9 and 3.13 with -E -s -S, against the hostile Mimecast."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from devkit.hostile import HostileMimecast

# Runs inside the installed app's Python: only lib/ is importable.
PROBE = textwrap.dedent(
    """
    import json, resource, sys, time
    sys.path.insert(0, sys.argv[1])
    import urllib3
    from splunk_app.mimecast import Client, HmacCredentials, Limits, MimecastError
    from splunk_app.mimecast.retry import RetryPolicy
    keys = json.loads(sys.argv[3])
    client = Client(sys.argv[2], HmacCredentials(**keys), timeout=(2.0, 2.0),
                    limits=Limits(request_seconds=1.5), retry=RetryPolicy(max_retries=0), max_pages=20)
    started, outcome = time.monotonic(), "ok"
    try:
        for page in client.pages("safe_score_details", page_size=5):
            pass
    except MimecastError as err:
        outcome = type(err).__name__
    print(json.dumps({"urllib3": urllib3.__version__, "outcome": outcome,
                      "seconds": time.monotonic() - started,
                      "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
    """
)
EXPECTED = {
    "gzip_bomb": "TooLarge",
    "oversized": "TooLarge",
    "deep_json": "TooLarge",
    "slow_drip": "NetworkError",
    "slow_headers": "NetworkError",
    "redirect": "ApiError",
    "looping_tokens": "MalformedResponse",
    "endless_tokens": "MalformedResponse",
    "hour_reset": "OutOfTime",
}


@pytest.mark.parametrize("behaviour", sorted(EXPECTED))
def test_the_bounds_hold_with_the_vendored_urllib3(
    splunk_python: str, installed_app: Path, behaviour: str
) -> None:
    with HostileMimecast(behaviour) as server:
        keys = server.keys
        credentials = {
            "app_id": keys.app_id,
            "app_key": keys.app_key,
            "access_key": keys.access_key,
            "secret_key": keys.secret_key,
        }
        done = subprocess.run(
            [splunk_python, "-E", "-s", "-S", "-B", "-c", PROBE, str(installed_app / "lib"), server.base_url,
             json.dumps(credentials)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["urllib3"].startswith("1."), found
    assert found["outcome"] == EXPECTED[behaviour], found
    assert found["seconds"] < 20, found
    assert found["peak_kib"] < 200 * 1024, found
