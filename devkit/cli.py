"""The `mimecast-at` command: the add-on's pulls, account check, simulated tenant and demo from a shell."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Subcommand -> module under devkit.commands; imported only when chosen, so `pull` never loads the
# simulator and a broken optional part cannot stop the others.
SUBCOMMANDS = {
    "demo": "Run the whole add-on against an embedded simulated tenant and show what the SOC gets.",
    "pull": "Pull one data set from a Mimecast gateway and write its events as JSON lines.",
    "check": "Check a Mimecast account the way the Configuration page does.",
    "simulate": "Run the simulated Mimecast tenant on 127.0.0.1 on its own.",
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mimecast-at", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = next((arg for arg in (sys.argv[1:] if argv is None else argv) if arg in SUBCOMMANDS), None)
    for name, help_text in SUBCOMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            module = importlib.import_module(f"devkit.commands.{name}")
            module.add_arguments(sub)
            sub.set_defaults(run=module.run)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
