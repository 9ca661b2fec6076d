"""Helpers that drive bin/mimecastrisk.py as splunkd does, over recorded and generated SCP v2 traffic."""

from __future__ import annotations

import csv
import gzip
import io
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from devkit import chunked
from devkit.splunkd import SplunkdStandIn
from splunk_app.risk.table import COLLECTION, FIELDS

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = Path(__file__).parent / "fixtures"
SCRIPT = ROOT / "bin" / "mimecastrisk.py"
ADDED = (
    "safe_grade",
    "human_error",
    "engagement",
    "knowledge",
    "sentiment",
    "watchlist",
    "watchlist_count",
    "department",
    "priority",
    "risk_updated",
    "identity",
    "grades",
    "match",
)

# email, department, grade, components, watch-listed, watch-list count, updated
USERS = [
    ("alice@example.com", "Finance", "A", "A", "B", "A", "A", False, 0, 1763895600),
    ("bob@example.com", "Sales", "F", "F", "D", "F", "C", True, 4, 1763895601),
    ("carol@example.com", "Legal", "C", "C", "C", "B", "D", False, 0, 1763895602),
    ("dave@example.com", "Support", "B", "B", "A", "C", "B", True, 1, 1763895603),
    ("erin@example.com", "HR", "D", "D", "D", "D", "D", False, 0, 1763895604),
    ("frank@example.com", "IT", "B", "B", "B", "B", "B", False, 0, 1763895605),
    ("frank@subsidiary.example", "IT", "F", "F", "F", "F", "F", True, 2, 1763895606),  # the same local part
]


def write_table(path: Path, users: Iterable[tuple] = USERS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        for user in users:
            email, department, grade, human, engagement, knowledge, sentiment, listed, count, updated = user
            writer.writerow(
                {
                    "email": email,
                    "name": email.split("@")[0].title(),
                    "department": department,
                    "user_state": "active",
                    "safe_grade": grade,
                    "human_error": human,
                    "engagement": engagement,
                    "knowledge": knowledge,
                    "sentiment": sentiment,
                    "watchlist": "true" if listed else "false",
                    "watchlist_count": count,
                    "num_correct": 3,
                    "num_incorrect": 1,
                    "num_not_watched": 0,
                    "priority": "",
                    "updated": updated,
                }
            )
    return path


def environment() -> dict[str, str]:
    """The test's environment without SPLUNK_HOME: the command finds its table only where Splunk keeps it."""
    return {name: value for name, value in os.environ.items() if name != "SPLUNK_HOME"}


def run(
    data: bytes,
    table: Path | None,
    script: Path = SCRIPT,
    env: dict[str, str] | None = None,
    python: str = sys.executable,
    timeout: float = 120,
) -> chunked.Run:
    """The command's whole answer, as a subprocess of `python` (the interpreter running the tests). With a
    `table` (a CSV), its rows are the KV store collection of a loopback splunkd stand-in that the search's
    getinfo points at, as Splunk's search head serves it."""
    command = [python, str(script)]
    if table is None:
        return chunked.run(command, data, env or environment(), timeout)
    with SplunkdStandIn() as splunkd:
        splunkd.create_collection(COLLECTION, documents(table))
        return chunked.run(command, pointed_at(data, splunkd), env or environment(), timeout)


def documents(table: Path) -> list[dict[str, str]]:
    """The rows of a CSV table as KV store documents."""
    with table.open(newline="", encoding="utf-8") as handle:
        return [{"_key": row["email"].lower(), **row} for row in csv.DictReader(handle)]


def pointed_at(data: bytes, splunkd: SplunkdStandIn) -> bytes:
    """The exchange with its getinfo chunk's splunkd address and session key those of `splunkd`."""
    stream = io.BytesIO(data)
    first = next(chunked.iter_chunks(stream))
    first.metadata["searchinfo"].update(splunkd_uri=splunkd.uri, session_key=splunkd.session_key)
    return chunked.encode_chunk(first.metadata, first.body) + stream.read()


def exchange(args: Sequence[str], chunks: Sequence[Sequence[Mapping]], **searchinfo) -> bytes:
    """getinfo with these arguments, then one execute chunk per list of records, the last finished."""
    last = len(chunks) - 1
    body = [chunked.execute(records, finished=number == last) for number, records in enumerate(chunks)]
    return chunked.getinfo(args, **searchinfo) + b"".join(body)


def recorded(name: str, args: Sequence[str]) -> bytes:
    """A recorded exchange with mimecastrisk's arguments in place of the recorded command's; the execute
    chunks byte for byte as recorded."""
    stream = io.BytesIO(gzip.decompress((FIXTURES / name).read_bytes()))
    first = next(chunked.iter_chunks(stream))
    return chunked.with_args(chunked.encode_chunk(first.metadata, first.body), args) + stream.read()


def only_error(result: chunked.Run) -> str:
    """The one message of a run that had to stop, checked to be an error without a traceback."""
    assert result.returncode != 0
    assert len(result.messages) == 1, result.messages
    level, text = result.messages[0]
    assert level == "ERROR"
    assert text.startswith("mimecastrisk: ")
    assert "Traceback" not in text and "line " not in text
    assert "Traceback" not in result.stderr
    assert all(chunk.body == "" for chunk in result.chunks)
    return text
