"""The risk table in a prepared form that a search reads in a fraction of the time the table itself takes.

Most alert searches see a few events, and each used to pay for reading and parsing the whole table. The
prepared form holds what the search needs: the users' emails as one block of lines (split at C speed into
the index), their enrichment values as one text with each user's end offset, parsed when the user is first
met, and at the end a header (what it was made from, sizes, CRC) and its length. It is kept in a private
cache folder, stamped with the source it was made from (a CSV file's path, size, times and inode, or the
KV store table's version), and rebuilt when either differs: a stale, damaged, truncated, foreign or
other-writable file is never used, only replaced.
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
import sys
import tempfile
import zlib
from array import array
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

FORMAT = "mimecast-risk-prepared"
VERSION = 1
SEP = "\x1f"  # between a user's values; neither it nor a newline may occur in a key or a value
MAX_HEADER = 1 << 20
OFFSET = "Q"  # each row's start in the rows' text, as unsigned 64-bit little-endian numbers
LENGTH = "<Q"  # the header's length, the file's last eight bytes
LENGTH_SIZE = struct.calcsize(LENGTH)
KEEP = 8  # prepared files kept per cache folder (indexers see a new bundle path per knowledge bundle)


class Profiles(Mapping):
    """Email -> enrichment values, cut from the rows' text and parsed the first time a user is looked up."""

    def __init__(self, index: dict[str, int], text: str, offsets: array, width: int) -> None:
        self._index = index
        self._text = text
        self._offsets = offsets
        self._width = width
        self._parsed: dict[str, tuple[str, ...]] = {}

    def get(self, key: str, default: object = None) -> tuple[str, ...] | None:
        found = self._parsed.get(key)
        if found is None:
            number = self._index.get(key)
            if number is None:
                return default  # type: ignore[return-value]
            found = tuple(self._text[self._offsets[number] : self._offsets[number + 1]].split(SEP))
            if len(found) != self._width:  # only a file forged to pass the CRC gets here
                return default  # type: ignore[return-value]
            self._parsed[key] = found
        return found

    def __getitem__(self, key: str) -> tuple[str, ...]:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


def cache_folder(splunk_home: str | None) -> Path | None:
    """Where prepared tables are kept: under Splunk's var/run when it is known, else the user's temp folder.
    None when the folder cannot be made private to this user (another user could write into it)."""
    if splunk_home:
        folder = Path(splunk_home) / "var" / "run" / "splunk" / "mimecast_awareness_risk"
    else:
        owner = os.getuid() if hasattr(os, "getuid") else "user"
        folder = Path(tempfile.gettempdir()) / f"mimecast_awareness_risk-{owner}"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return folder if _private(folder) else None
    except OSError:
        return None


def _private(path: Path) -> bool:
    """Owned by this user and writable by no one else (where the platform says so)."""
    info = path.lstat()
    if not hasattr(os, "getuid"):
        return True
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def file_stamp(handle: object) -> list[int]:
    """What identifies the content of an open file: size, modification time, inode, change time."""
    info = os.fstat(handle.fileno())  # type: ignore[attr-defined]
    return [info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns]


def prepared_path(folder: Path, source_name: str) -> Path:
    return folder / f"{zlib.crc32(source_name.encode('utf-8')):08x}-{len(source_name)}.prepared"


def save(
    path: Path, source: object, profiles: Mapping[str, tuple[str, ...]], domains: Mapping[str, int]
) -> bool:
    """Write the prepared form (atomically: readers see the old file or the new one), streaming: the emails,
    the users' values, their offsets, then the header and its length. False when the table holds a character
    the form cannot carry; the search then reads the table itself every time."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".prepared-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            header = _write_blocks(file, profiles)
            if header is None:
                raise _Unfit
            header.update(format=FORMAT, version=VERSION, source=source, domains=dict(domains))
            head = json.dumps(header, separators=(",", ":")).encode("utf-8")
            file.write(head + struct.pack(LENGTH, len(head)))
        os.replace(temporary, path)
    except _Unfit:
        os.unlink(temporary)
        return False
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _prune(path.parent)
    return True


class _Unfit(Exception):
    """The table holds a character the prepared form cannot carry."""


def _write_blocks(file: BinaryIO, profiles: Mapping[str, tuple[str, ...]]) -> dict[str, object] | None:
    """The three blocks, written as they are made; their sizes, the users' count and width, and the CRC."""
    crc, sizes = 0, [0, 0, 0]
    width = len(next(iter(profiles.values()))) if profiles else 0
    for number, key in enumerate(profiles):
        if "\n" in key or SEP in key:
            return None
        data = (key if number == 0 else "\n" + key).encode("utf-8")
        crc, sizes[0] = zlib.crc32(data, crc), sizes[0] + len(data)
        file.write(data)
    offsets = array(OFFSET, [0])
    position = 0
    for values in profiles.values():
        row = SEP.join(values)
        if len(values) != width or row.count(SEP) != width - 1:
            return None
        data = row.encode("utf-8")
        crc, sizes[1] = zlib.crc32(data, crc), sizes[1] + len(data)
        file.write(data)
        position += len(row)
        offsets.append(position)
    if sys.byteorder != "little":
        offsets.byteswap()
    data = offsets.tobytes()
    crc, sizes[2] = zlib.crc32(data, crc), len(data)
    file.write(data)
    return {"users": len(profiles), "width": width, "blocks": sizes, "crc": crc}


def load(path: Path, source: object, width: int) -> tuple[Profiles, dict[str, int]] | None:
    """The prepared table if it was made from exactly `source` and is whole; None otherwise (absent,
    stale, damaged, truncated, another format or owner)."""
    try:
        return _read(path, source, width)
    except (OSError, ValueError, KeyError, TypeError, struct.error):  # json, decoding and checks: ValueError
        return None


def _read(path: Path, source: object, width: int) -> tuple[Profiles, dict[str, int]]:
    """Each block is checked into the CRC and turned into what the table keeps before the next is read, so
    the file's bytes and the table are not both held whole."""
    _require(_private(path), "not private to this user")
    with path.open("rb") as file:
        header = _header(file)
        _require((header.get("format"), header.get("version")) == (FORMAT, VERSION), "another format")
        _require((header.get("source"), header.get("width")) == (source, width), "made from another table")
        sizes = [int(size) for size in header["blocks"]]
        users = int(header["users"])
        _require(len(sizes) == 3 and min(sizes) >= 0, "bad block sizes")
        _require(sum(sizes) == file.seek(0, os.SEEK_END) - header["length"], "wrong size")
        file.seek(0)
        block = _block(file, sizes[0])
        crc = zlib.crc32(block)
        keys = block.decode("utf-8").split("\n") if users else []
        block = _block(file, sizes[1])
        crc = zlib.crc32(block, crc)
        text = block.decode("utf-8")
        block = _block(file, sizes[2])
        crc = zlib.crc32(block, crc)
        offsets = array(OFFSET)
        offsets.frombytes(block)
        del block
    _require(crc == header["crc"], "damaged")
    if sys.byteorder != "little":
        offsets.byteswap()
    index = dict(zip(keys, range(users)))
    _require(len(keys) == len(index) == users == len(offsets) - 1, "wrong count")
    _require(offsets[0] == 0 and offsets[-1] == len(text), "wrong offsets")
    domains = header["domains"]
    _require(isinstance(domains, dict) and all(isinstance(n, int) for n in domains.values()), "bad domains")
    return Profiles(index, text, offsets, width), domains


def _header(file: BinaryIO) -> dict[str, Any]:
    """The header at the file's end, before its own length; `length` is how many bytes both take."""
    end = file.seek(0, os.SEEK_END)
    _require(end >= LENGTH_SIZE, "too short")
    file.seek(end - LENGTH_SIZE)
    (size,) = struct.unpack(LENGTH, file.read(LENGTH_SIZE))
    _require(0 < size <= MAX_HEADER and size + LENGTH_SIZE <= end, "bad header length")
    file.seek(end - LENGTH_SIZE - size)
    header = json.loads(file.read(size))
    _require(isinstance(header, dict), "no header")
    header["length"] = size + LENGTH_SIZE
    return header


def _block(file: BinaryIO, size: int) -> bytes:
    block = file.read(size)
    _require(len(block) == size, "truncated")
    return block


def _require(condition: bool, problem: str) -> None:
    if not condition:
        raise ValueError(problem)


def _prune(folder: Path) -> None:
    """Keep the newest KEEP prepared files: each knowledge bundle on an indexer is a new source path."""
    files = sorted(folder.glob("*.prepared"), key=lambda path: path.stat().st_mtime, reverse=True)
    for old in files[KEEP:]:
        with contextlib.suppress(OSError):
            old.unlink()
