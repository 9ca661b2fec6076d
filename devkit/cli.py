"""The `mimecast-at` command: the add-on's pulls, account check, simulated tenant and demo from a shell."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence

from devkit.commands.options import Parser

# Subcommand -> module under devkit.commands; imported only when chosen, so `pull` never loads the
# simulator and a broken optional part cannot stop the others.
SUBCOMMANDS = {
    "demo": "Run the whole add-on against an embedded simulated tenant and show what the SOC gets.",
    "pull": "Pull one data set from a Mimecast gateway and write its events as JSON lines.",
    "check": "Check a Mimecast account the way the Configuration page does.",
    "simulate": "Run the simulated Mimecast tenant on 127.0.0.1 on its own.",
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = Parser(prog="mimecast-at", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = next((arg for arg in (sys.argv[1:] if argv is None else argv) if arg in SUBCOMMANDS), None)
    for name, help_text in SUBCOMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            module = importlib.import_module(f"devkit.commands.{name}")
            module.add_arguments(sub)
            sub.set_defaults(run=module.run)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:
        # The reader went away (`| head`): say so once, and keep Python from failing again at exit when
        # it flushes standard output into the closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print(f"mimecast-at {args.command}: the output was closed before the end; stopped.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
