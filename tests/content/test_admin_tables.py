"""What administrators edit lives where an app upgrade leaves it: the alias table and the risk policy rows
are KV store collections (an upgrade replaces the app's lookups/ folder, never the KV store), and the files
in lookups/ are only the shipped defaults, which no shipped search treats as the place for edits."""

from __future__ import annotations

import re

from splunk_app.risk.identity import ALIAS_COLUMNS, ALIAS_FILE
from splunk_app.risk.policy import POLICY_FILE
from splunk_app.splunk.admin_tables import ALIAS_COLLECTION, POLICY_COLLECTION

from . import spl

TRANSFORMS = spl.conf("transforms.conf")
COLLECTIONS = spl.conf("collections.conf")
SAVED = spl.conf("savedsearches.conf")
TWIN = "Mimecast Awareness - Identity aliases CSV for indexers"


def _fields(stanza: dict) -> list[str]:
    return [name.strip() for name in stanza["fields_list"].split(",")]


def test_the_alias_lookup_is_the_collection_and_its_csv_the_shipped_default():
    lookup = TRANSFORMS["mimecast_identity_aliases"]
    assert (lookup["external_type"], lookup["collection"]) == ("kvstore", ALIAS_COLLECTION)
    assert _fields(lookup) == ["_key", *ALIAS_COLUMNS]
    assert {f"field.{column}" for column in ALIAS_COLUMNS} <= set(COLLECTIONS[ALIAS_COLLECTION])
    assert TRANSFORMS["mimecast_identity_aliases_csv"]["filename"] == ALIAS_FILE
    assert (spl.ROOT / "lookups" / ALIAS_FILE).read_text(encoding="utf-8").strip() == ",".join(ALIAS_COLUMNS)


def test_the_indexers_copy_of_the_aliases_is_written_from_the_collection():
    twin = SAVED[TWIN]
    search = twin["search"]
    assert search.startswith(f"| inputlookup {ALIAS_COLLECTION} ")
    assert search.rstrip().endswith("| outputlookup mimecast_identity_aliases_csv")
    assert "| table alias, email " in search
    assert twin["disabled"] == "1" and twin["enableSched"] == "1"


def test_what_an_administrator_edits_is_written_only_to_the_collections():
    """No shipped search writes a lookup file an administrator is told to edit: the searches that fill the
    alias table write the collection; the CSV files are written only as the indexers' copy."""
    written = {
        name: re.findall(r"\| outputlookup (?:\w+=\w+ )*([\w.]+)", stanza.get("search", ""))
        for name, stanza in SAVED.items()
    }
    assert written["Mimecast Awareness - Identity aliases from ES"] == [ALIAS_COLLECTION]
    targets = {target for found in written.values() for target in found}
    assert POLICY_FILE not in targets and "mimecast_risk_policy" not in targets
    assert "mimecast_risk_policy_default" not in targets
    assert [name for name, found in written.items() if "mimecast_identity_aliases_csv" in found] == [TWIN]


def test_the_policy_collection_is_the_administrators_and_the_csv_the_shipped_table():
    assert TRANSFORMS["mimecast_risk_policy"]["collection"] == POLICY_COLLECTION
    assert TRANSFORMS["mimecast_risk_policy_default"]["filename"] == POLICY_FILE
