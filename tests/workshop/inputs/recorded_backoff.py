"""The SAFE score input run as its bin/ script runs it, except that the client's waits (back-off and
rate-limit) are written to stderr, one `wait <seconds>` line each, instead of slept: a test of a lasting
5xx then sees every wait the client chose without spending half a minute in them."""

import sys

from splunk_app.splunk.modinput import main


def record(seconds: float) -> None:
    sys.stderr.write(f"wait {seconds:.3f}\n")


if __name__ == "__main__":
    sys.exit(main("mimecast_at_safe_score", sleep=record))
