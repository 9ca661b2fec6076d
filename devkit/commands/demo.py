"""`mimecast-at demo`: the whole add-on against an embedded simulated tenant, and what the SOC gets."""

from __future__ import annotations

import argparse
import sys

from devkit import demo
from devkit.commands import options
from devkit.commands.simulate import MAX_USERS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--users",
        type=options.count(1, MAX_USERS),
        default=1000,
        help="users in the simulated tenant (default 1000)",
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the simulated tenant's data (default 7)")
    parser.add_argument(
        "--events",
        type=options.count(1, MAX_USERS),
        default=2000,
        help="proxy and email-click events to enrich (default 2000)",
    )
    parser.add_argument(
        "--out",
        type=options.output_folder,
        default="demo-output",
        help="folder for the demo's files (default demo-output)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        result = demo.run(
            users=args.users, seed=args.seed, out_dir=args.out, sample_size=args.events, say=_say
        )
    except demo.DemoError as err:
        print(f"The demo stopped: {err}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        raise
    except OSError as err:
        print(
            f"The demo stopped: cannot write {err.filename or args.out}: {err.strerror or err}",
            file=sys.stderr,
        )
        return 1
    demo.report(result, _say)
    return 0


def _say(line: str) -> None:
    print(line, flush=True)
