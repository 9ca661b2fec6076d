"""Every option of every `mimecast-at` command says in its --help what happens when it is left out."""

from __future__ import annotations

import argparse
import importlib

import pytest

from devkit.cli import SUBCOMMANDS
from devkit.commands.options import Parser


def options_of(command: str) -> list[argparse.Action]:
    parser = Parser(prog=f"mimecast-at {command}")
    importlib.import_module(f"devkit.commands.{command}").add_arguments(parser)
    return [action for action in parser._actions if action.option_strings and action.dest != "help"]


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_every_option_states_its_default(command: str) -> None:
    for action in options_of(command):
        if isinstance(action, argparse._StoreTrueAction):
            continue  # a flag: off unless given
        words = action.help or ""
        assert "default" in words or "(required)" in words, (command, action.option_strings, words)
        if action.default not in (None, "", False):
            assert str(action.default) in words.replace(",", ""), (command, action.option_strings, words)
