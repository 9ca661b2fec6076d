"""Every search the app ships is well formed and names only what the app (or Splunk) defines."""

from __future__ import annotations

import re

import pytest

from . import spl
from .dashboard import dashboard_queries

SAVED = spl.conf("savedsearches.conf")
MACROS = spl.conf("macros.conf")
EVENTTYPES = spl.conf("eventtypes.conf")


def shipped_searches() -> list[tuple[str, str]]:
    searches = [(f"savedsearch {name}", stanza["search"]) for name, stanza in SAVED.items()]
    searches += [(f"macro {name}", stanza["definition"]) for name, stanza in MACROS.items()]
    searches += [(f"eventtype {name}", stanza["search"]) for name, stanza in EVENTTYPES.items()]
    searches += [(f"dashboard {view} {ds}", query) for view, ds, query in dashboard_queries()]
    return searches


SEARCHES = shipped_searches()
IDS = [label for label, _ in SEARCHES]


def test_the_app_ships_searches_to_check():
    kinds = {label.split()[0] for label in IDS}
    assert kinds == {"savedsearch", "macro", "eventtype", "dashboard"}


@pytest.mark.parametrize(("label", "text"), SEARCHES, ids=IDS)
def test_search_is_well_formed(label, text):
    assert spl.scan(text).problems == []


@pytest.mark.parametrize(("label", "text"), SEARCHES, ids=IDS)
def test_search_names_only_defined_things(label, text):
    scanned = spl.scan(text)
    assert set(scanned.macros) <= spl.defined_macros(), "undefined macro"
    assert set(scanned.commands) <= spl.defined_commands(), "unknown command"
    assert set(scanned.lookups) <= spl.defined_lookups(), "undefined lookup"
    assert set(scanned.eventtypes) <= set(EVENTTYPES), "undefined eventtype"
    assert set(scanned.saved_searches) <= set(SAVED), "undefined saved search"


@pytest.mark.parametrize(("label", "text"), SEARCHES, ids=IDS)
def test_searches_of_the_add_on_data_go_through_the_index_macro(label, text):
    if "mimecast:awareness:" in text and not label.startswith("eventtype"):
        assert "`mimecast_awareness_index`" in text


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('search a="b', "unbalanced double quote"),
        ("search [ search a | head 1", "unclosed ["),
        ("eval a=if(b, 1, 0))", "unbalanced ')'"),
        ("search `mimecast_awareness_index x", "unbalanced backtick"),
        ("search a | eval x=(1 ]", "unbalanced ']'"),
    ],
)
def test_the_checker_catches_malformed_searches(text, problem):
    assert any(p.startswith(problem) for p in spl.scan(text).problems)


def test_the_checker_sees_names_in_subsearches_and_macro_arguments():
    scanned = spl.scan(
        "`idx` eventtype=foo [| inputlookup bar | fields email] | eval r=`rank(risk)` "
        '| lookup baz email | savedsearch "Some search" | mimecastrisk | eval s="| notacommand" | `expands`'
    )
    assert scanned.problems == []
    assert scanned.macros == ["idx", "rank(1)", "expands"]
    assert scanned.commands == [
        "inputlookup", "fields", "eval", "lookup", "savedsearch", "mimecastrisk", "eval"
    ]  # fmt: skip
    assert scanned.lookups == ["bar", "baz"]
    assert scanned.eventtypes == ["foo"]
    assert scanned.saved_searches == ["Some search"]


def test_macro_arguments_match_their_definitions():
    for name, stanza in MACROS.items():
        match = re.fullmatch(r"(\w+)\((\d+)\)", name)
        count = int(match.group(2)) if match else 0
        args = [a.strip() for a in stanza.get("args", "").split(",") if a.strip()]
        assert len(args) == count, name
        for arg in args:
            assert f"${arg}$" in stanza["definition"], f"{name} does not use its argument {arg}"
