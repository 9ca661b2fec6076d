"""Distributed search: the CSV that `| mimecastrisk lookup=` streams from on the indexers is written by a
shipped scheduled search from the risk table, with the columns the command reads, under the name the
searchbnf example uses."""

from __future__ import annotations

import re

from splunk_app.risk.table import COLLECTION, CSV_TWIN, CSV_TWIN_SEARCH, FIELDS

from . import spl

SAVED = spl.conf("savedsearches.conf")


def table_columns(search: str) -> list[str]:
    """The columns of the search's `| table` command (one, possibly continued over lines)."""
    text = search.split("| table ", 1)[1].split("|", 1)[0]
    return [column.strip() for column in text.replace("\\", " ").split(",") if column.strip()]


def test_a_scheduled_search_writes_the_csv_twin_from_the_risk_table() -> None:
    stanza = SAVED[CSV_TWIN_SEARCH]
    search = stanza["search"]

    assert search.startswith(f"| inputlookup {COLLECTION} ")
    assert re.search(rf"\| outputlookup (?:\w+=\w+ )*{re.escape(CSV_TWIN)}$", search.rstrip())
    assert "override_if_empty=false" in search  # an empty or unreachable table keeps the last file
    assert stanza["enableSched"] == "1" and stanza["cron_schedule"]
    assert "Enable it" in stanza["description"]


def test_the_csv_twin_has_exactly_the_columns_the_command_reads() -> None:
    assert table_columns(SAVED[CSV_TWIN_SEARCH]["search"]) == list(FIELDS)


def test_the_searchbnf_lookup_example_names_the_csv_twin() -> None:
    bnf = spl.conf("searchbnf.conf")["mimecastrisk-command"]
    examples = [value for key, value in bnf.items() if key.startswith("example") and "lookup=" in value]

    assert examples
    assert all(f"lookup={CSV_TWIN}" in example for example in examples)


def test_a_lookup_definition_names_the_csv_twin_for_inputlookup() -> None:
    definitions = spl.conf("transforms.conf")
    assert [name for name, stanza in definitions.items() if stanza.get("filename") == CSV_TWIN]
