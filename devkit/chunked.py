"""splunkd's side of the chunked protocol (SCP v2), for driving a custom search command as splunkd does.

A chunk is `chunked 1.0,<metadata bytes>,<body bytes>\\n`, JSON metadata, then a results CSV body.
splunkd sends `getinfo` (the command's arguments in `searchinfo`), then `execute` chunks of records, the
last with `finished: true`; the command answers each. Bodies are written as splunkd writes them: every
field with an `__mv_` twin (multivalue fields `$a$;$b$`), `\\n` line ends, any cell that is not plain
letters and digits quoted.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, Union

Value = Union[str, int, float, Sequence[str], None]
MV = "__mv_"
_HEADER = re.compile(rb"chunked\s+1\.0\s*,\s*(\d+)\s*,\s*(\d+)\s*\n")
_PLAIN = re.compile(r"[A-Za-z0-9]*")
_MV_VALUE = re.compile(r"\$((?:\$\$|[^$])*)\$(?:;|$)")

csv.field_size_limit(10 * 1024 * 1024)  # splunkd's own limit for one cell, as splunklib sets it


@dataclass
class Chunk:
    metadata: dict[str, Any]
    body: str


@dataclass
class Run:
    """What a command answered to a whole exchange."""

    chunks: list[Chunk]
    returncode: int
    stderr: str

    @property
    def info(self) -> dict[str, Any]:
        """The answer to getinfo: the command's type and any messages."""
        return self.chunks[0].metadata if self.chunks else {}

    @property
    def records(self) -> list[dict[str, Value]]:
        """Every record of every answer to execute, in order."""
        return [record for chunk in self.chunks[1:] for record in records_of(chunk.body)]

    @property
    def messages(self) -> list[tuple[str, str]]:
        """(level, text) of every message the command sent (Splunk shows them under the search bar)."""
        found = []
        for chunk in self.chunks:
            for level, text in (chunk.metadata.get("inspector") or {}).get("messages", []):
                found.append((level, text))
        return found


def encode_chunk(metadata: Mapping[str, Any], body: str | bytes = b"") -> bytes:
    meta = json.dumps(metadata).encode("utf-8")
    data = body.encode("utf-8") if isinstance(body, str) else body
    return b"chunked 1.0,%d,%d\n" % (len(meta), len(data)) + meta + data


def getinfo(
    args: Sequence[str],
    splunkd_uri: str = "https://127.0.0.1:8089",
    session_key: str = "not-a-session-key",
    app: str = "search",
    **searchinfo: Any,
) -> bytes:
    """The first chunk splunkd sends: the search's context and the command's arguments."""
    info = {
        "args": list(args),
        "raw_args": list(args),
        "app": app,
        "dispatch_dir": "/opt/splunk/var/run/splunk/dispatch/1700000000.1",
        "earliest_time": "0",
        "latest_time": "0",
        "owner": "admin",
        "username": "admin",
        "search": "search%20index%3Dmain%20%7C%20mimecastrisk",
        "session_key": session_key,
        "sid": "1700000000.1",
        "splunk_version": "9.4.0",
        "splunkd_uri": splunkd_uri,
        **searchinfo,
    }
    return encode_chunk({"action": "getinfo", "preview": False, "searchinfo": info})


def with_args(getinfo_chunk: bytes, args: Sequence[str]) -> bytes:
    """A recorded getinfo chunk with another command's arguments; everything else as recorded."""
    (chunk,) = read_chunks(getinfo_chunk)
    chunk.metadata["searchinfo"]["args"] = list(args)
    chunk.metadata["searchinfo"]["raw_args"] = list(args)
    return encode_chunk(chunk.metadata, chunk.body)


def execute(records: Iterable[Mapping[str, Value]], finished: bool = False) -> bytes:
    return encode_chunk({"action": "execute", "finished": finished}, results_csv(records))


def results_csv(records: Iterable[Mapping[str, Value]]) -> str:
    """A results body as splunkd writes it: the union of the records' fields in first-seen order."""
    records = list(records)
    fields: dict[str, None] = {}
    for record in records:
        fields.update(dict.fromkeys(record))
    if not fields:
        return ""
    names = list(fields)
    lines = [",".join(_cell(name) for name in [*names, *(MV + name for name in names)])]
    for record in records:
        plain, twins = [], []
        for name in names:
            value = record.get(name)
            if isinstance(value, (list, tuple)):
                plain.append("\n".join(value))
                twins.append("$" + "$;$".join(item.replace("$", "$$") for item in value) + "$")
            else:
                plain.append("" if value is None else str(value))
                twins.append("")
        lines.append(",".join(_cell(cell) for cell in plain + twins))
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text if _PLAIN.fullmatch(text) else '"' + text.replace('"', '""') + '"'


def read_chunks(data: bytes | BinaryIO) -> list[Chunk]:
    return list(iter_chunks(io.BytesIO(data) if isinstance(data, bytes) else data))


def iter_chunks(stream: BinaryIO) -> Iterator[Chunk]:
    """The chunks of a stream, until it ends; a malformed header raises ValueError. Blank lines between
    chunks are skipped (the SDK's recorded answers have a newline after each chunk)."""
    while True:
        line = stream.readline()
        if not line:
            return
        if not line.strip():
            continue
        match = _HEADER.fullmatch(line)
        if match is None:
            raise ValueError(f"not a chunk header: {line[:80]!r}")
        meta = stream.read(int(match[1]))
        body = stream.read(int(match[2]))
        yield Chunk(json.loads(meta) if meta else {}, body.decode("utf-8"))


def records_of(body: str) -> list[dict[str, Value]]:
    """The records of a results body; a field whose `__mv_` twin is set becomes a list."""
    rows = csv.reader(io.StringIO(body))
    header = next(rows, None)
    if header is None:
        return []
    records = []
    for row in rows:
        cells = dict(zip(header, row))
        record: dict[str, Value] = {}
        for name, value in cells.items():
            if name.startswith(MV):
                continue
            twin = cells.get(MV + name)
            record[name] = decode_mv(twin) if twin else value
        records.append(record)
    return records


def columns_of(body: str) -> list[str]:
    """The header of a results body."""
    return next(csv.reader(io.StringIO(body)), [])


def decode_mv(text: str) -> list[str]:
    return [value.replace("$$", "$") for value in _MV_VALUE.findall(text)]


def run(
    command: Sequence[str], data: bytes, env: Mapping[str, str] | None = None, timeout: float = 120
) -> Run:
    """Run a command as splunkd does (a process speaking the protocol on stdin and stdout)."""
    done = subprocess.run(  # noqa: S603 -- the caller's own command line, no shell
        list(command), check=False, input=data, capture_output=True, env=env, timeout=timeout
    )
    return Run(read_chunks(done.stdout), done.returncode, done.stderr.decode("utf-8", "replace"))
