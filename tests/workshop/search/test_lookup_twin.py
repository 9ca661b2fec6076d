"""The searchbnf example of lookup= mode works as written once the shipped saved search has run: its rows
(the KV store collection through `| table ...`) written to the app's lookups folder under the name the
saved search gives, then the example's own arguments streamed over mail events as on an indexer."""

from __future__ import annotations

import csv
from pathlib import Path

from content import spl

from splunk_app.risk.table import CSV_TWIN, CSV_TWIN_SEARCH

from .harness import exchange, only_error, run, write_table


def collection_rows(tmp_path: Path) -> list[dict[str, str]]:
    """The KV store collection as `| inputlookup` returns it: the columns, plus _key and _user."""
    with write_table(tmp_path / "rows.csv").open(encoding="utf-8") as handle:
        return [{"_key": row["email"], "_user": "nobody", **row} for row in csv.DictReader(handle)]


def run_saved_search(rows: list[dict[str, str]], lookups: Path) -> Path:
    """What the saved search's `| table ... | outputlookup <file>` leaves in the lookups folder."""
    search = spl.conf("savedsearches.conf")[CSV_TWIN_SEARCH]["search"]
    columns = [
        c.strip() for c in search.split("| table ", 1)[1].split("|", 1)[0].replace("\\", " ").split(",")
    ]
    target = lookups / search.rstrip().rsplit(" ", 1)[1]
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(row for row in rows if row.get("email"))
    return target


def example_arguments() -> list[str]:
    bnf = spl.conf("searchbnf.conf")["mimecastrisk-command"]
    example = next(value for key, value in bnf.items() if key.startswith("example") and "lookup=" in value)
    return example.split("| mimecastrisk ", 1)[1].split("|", 1)[0].split()


def test_the_searchbnf_example_streams_from_the_file_the_saved_search_writes(
    app: Path, tmp_path: Path
) -> None:
    written = run_saved_search(collection_rows(tmp_path), app / "lookups")
    args = example_arguments()
    mail = [
        {"sender": "bob@example.com", "recipient": "alice@example.com"},
        {"sender": "Carol@Example.com", "recipient": "nobody@elsewhere.example"},
    ]

    result = run(exchange(args, [mail]), None, app / "bin" / "mimecastrisk.py")

    assert written.name == CSV_TWIN and f"lookup={CSV_TWIN}" in args
    assert result.returncode == 0, result.stderr
    assert result.info == {"type": "streaming"}  # may run on the indexers
    first, second = result.records
    assert (first["mc_safe_grade"], first["mc_grades"]) == ("F", ["F", "A"])
    assert (second["mc_safe_grade"], second["mc_identity"]) == (
        "C",
        ["carol@example.com", "nobody@elsewhere.example"],
    )


def test_before_the_saved_search_has_run_the_command_says_which_search_writes_the_file(app: Path) -> None:
    result = run(
        exchange(example_arguments(), [[{"sender": "bob@example.com"}]]),
        None,
        app / "bin" / "mimecastrisk.py",
    )

    message = only_error(result)
    assert "there is no such file" in message and CSV_TWIN_SEARCH in message
