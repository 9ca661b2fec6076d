"""`mimecast-at simulate`: run the simulated Mimecast tenant in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from devkit.commands import options
from devkit.simulator import ServedRequest, SimulatedTenant

MAX_USERS = 1_000_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--users",
        type=options.count(0, MAX_USERS),
        default=1000,
        help=f"number of simulated users, up to {MAX_USERS:,} (default 1000)",
    )
    parser.add_argument(
        "--port", type=options.port, default=0, help="port on 127.0.0.1 (default: any free port)"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the simulated data (default 7)")
    parser.add_argument("--quiet", action="store_true", help="do not print a line per request served")


def show(served: ServedRequest) -> None:
    print(f"{served.status} {served.path} ({served.auth or 'no auth'})", flush=True)


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM stop the tenant even where the shell that started it ignores or blocks them (a
    background job of a script inherits SIGINT ignored, and Python then keeps it ignored)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})


def run(args: argparse.Namespace) -> int:
    _stop_on_signals()
    tenant = SimulatedTenant(
        users=args.users,
        seed=args.seed,
        port=args.port,
        keep_requests=10_000,
        on_request=None if args.quiet else show,
    )
    try:
        tenant.start()
    except OSError as err:
        print(
            f"mimecast-at simulate: cannot listen on 127.0.0.1:{args.port}: {err.strerror}", file=sys.stderr
        )
        return 1
    keys = tenant.keys
    print(f"Simulated Mimecast tenant with {args.users} users (seed {args.seed}) at {tenant.base_url}")
    print("Its credentials are simulated and new on every run. For `mimecast-at pull`, export:")
    for name, value in (
        ("MIMECAST_CLIENT_ID", keys.client_id),
        ("MIMECAST_CLIENT_SECRET", keys.client_secret),
        ("MIMECAST_APP_ID", keys.app_id),
        ("MIMECAST_APP_KEY", keys.app_key),
        ("MIMECAST_ACCESS_KEY", keys.access_key),
        ("MIMECAST_SECRET_KEY", keys.secret_key),
    ):
        print(f"export {name}='{value}'")
    print(f"then: mimecast-at pull <data set> --base-url {tenant.base_url} [--auth hmac]")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("Stopped.")
    finally:
        tenant.stop()
    return 0
