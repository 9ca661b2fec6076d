"""What an input already emitted: one content hash per record key, so a run writes only what changed
(and everything again before it is full_snapshot_hours old), and a killed run loses nothing.

On disk, in splunkd's checkpoint_dir, per input:
- `<name>.ckpt`: the base: a JSON header line, then the key fingerprints, content fingerprints and
  emission times as three binary arrays sorted by key (24 bytes a record);
- `<name>.<seq>.delta`: one per page that a run handed on, with that page's emitted records (JSON).
Every file is written to a temporary name, fsynced and renamed, so a reader sees a whole file or none.
The caller writes a page's events first and then `commit`s the page: a kill before the commit repeats
that one page on the next run, a kill after it repeats nothing. `finish` folds the deltas into the base.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
import tempfile
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from itertools import compress
from typing import IO, Any

VERSION = 1
_DELTA = re.compile(r"\.(\d{9})\.delta$")


def file_stem(input_name: str) -> str:
    """A file name for an input stanza (`mimecast_at_safe_score://prod`): readable and collision-free."""
    readable = re.sub(r"[^A-Za-z0-9_-]+", "_", input_name)[:80]
    return f"{readable}-{hashlib.blake2b(input_name.encode('utf-8'), digest_size=5).hexdigest()}"


def atomic_write(path: str, write: Any, binary: bool = False) -> None:
    """Call `write(file)` on a temporary file beside `path`, fsync it, rename it over `path` and fsync
    the folder: after a crash at any point `path` holds the old content or the new, never a mix."""
    folder = os.path.dirname(path) or "."
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=_temporary_prefix(path), suffix=".part")
    try:
        with os.fdopen(handle, "wb") if binary else os.fdopen(handle, "w", encoding="utf-8") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_folder(folder)


def _temporary_prefix(path: str) -> str:
    return ".tmp-" + os.path.basename(path).split(".")[0] + "-"


def _fsync_folder(folder: str) -> None:
    with contextlib.suppress(OSError):  # not every platform lets a folder be opened
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


class _Table:
    """Fingerprint of a record key -> (fingerprint of its content, emitted_at, seen_at), in four parallel
    arrays sorted by key: 32 bytes a record, where a dict of strings costs about 200."""

    def __init__(self) -> None:
        self.columns = (array("Q"), array("Q"), array("q"), array("q"))

    def __len__(self) -> int:
        return len(self.columns[0])

    def find(self, key: int) -> int:
        keys = self.columns[0]
        index = bisect_left(keys, key)
        return index if index < len(keys) and keys[index] == key else -1

    def put(self, records: Iterable[tuple[int, int, int, int]]) -> None:
        """Update known keys in place; splice new ones in, in one pass over the arrays per call."""
        new: dict[int, tuple[int, int, int, int]] = {}
        for record in records:
            index = self.find(record[0])
            if index < 0:
                new[record[0]] = record
                continue
            for column, value in zip(self.columns[1:], record[1:]):
                column[index] = value
        if not new:
            return
        keys = self.columns[0]
        spliced = tuple(array(column.typecode) for column in self.columns)
        start = 0
        for key in sorted(new):
            at = bisect_left(keys, key, start)
            for out, column, value in zip(spliced, self.columns, new[key]):
                out.extend(column[start:at])
                out.append(value)
            start = at
        for out, column in zip(spliced, self.columns):
            out.extend(column[start:])
        self.columns = spliced

    def keep_seen(self, seen_at: int) -> int:
        """Drop every record not seen at `seen_at`; returns how many were dropped."""
        seen = self.columns[3]
        dropped = len(seen) - seen.count(seen_at)
        if dropped:
            self.columns = tuple(
                array(column.typecode, compress(column, (when == seen_at for when in seen)))
                for column in self.columns
            )
        return dropped


def _fingerprint(text: str) -> int:
    """64 bits of a key or a content hash: collisions are negligible below billions of records."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


class Checkpoint:
    """The emitted state of one input. `due` says whether a record must be written in this run."""

    def __init__(
        self, folder: str, input_name: str, full_snapshot_seconds: float, interval_seconds: float = 0
    ):
        self.folder = folder
        self.stem = os.path.join(folder, file_stem(input_name))
        # Re-send a record when, by the next run, its last copy would be older than the full-snapshot
        # period: a search over the last full_snapshot_hours then always finds every record.
        self.resend_after = max(0.0, full_snapshot_seconds - max(0.0, interval_seconds))
        self.extra: dict[str, Any] = {}
        self._table = _Table()
        self._through = 0  # the last delta folded into the base
        self._next = 1
        os.makedirs(folder, exist_ok=True)
        self._load()

    def __len__(self) -> int:
        return len(self._table)

    def __enter__(self) -> Checkpoint:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Nothing is held open between calls: every change is already on disk."""

    def __contains__(self, key: str) -> bool:
        fingerprint = _fingerprint(key)
        return self._table.find(fingerprint) >= 0

    def due(self, key: str, digest: str, now: float) -> bool:
        """True when the record is new, changed, or last emitted too long ago; marks it seen at `now`."""
        index = self._table.find(_fingerprint(key))
        if index < 0:
            return True
        _, digests, emitted, seen = self._table.columns
        seen[index] = int(now)
        return digests[index] != _fingerprint(digest) or now - emitted[index] >= self.resend_after

    def commit(self, emitted: Iterable[tuple[str, str]], now: float, **extra: Any) -> None:
        """Record a page whose events were all handed on, with any small run state that must move with
        it (a training cursor): one atomic delta file, or none when nothing changed."""
        when = int(now)
        updates = [[_fingerprint(key), _fingerprint(digest), when] for key, digest in emitted]
        self._table.put((key, digest, when, when) for key, digest, _ in updates)
        changed = {key: value for key, value in extra.items() if self.extra.get(key) != value}
        if not updates and not changed:
            return
        self.extra.update(changed)
        path = f"{self.stem}.{self._next:09d}.delta"
        atomic_write(path, lambda file: json.dump({"updates": updates, "extra": self.extra}, file))
        self._next += 1

    def finish(self, complete: bool, now: float) -> int:
        """Fold the run into a new base. After a complete snapshot, forget the records it did not hold
        (so they are emitted again if they come back); returns how many."""
        gone = self._table.keep_seen(int(now)) if complete else 0
        through = self._next - 1
        atomic_write(f"{self.stem}.ckpt", lambda file: self._write_base(file, through), binary=True)
        self._through = through
        for path in self._deltas():
            with contextlib.suppress(OSError):
                os.unlink(path)
        return gone

    def _write_base(self, file: IO[bytes], through: int) -> None:
        table = self._table
        header = {
            "version": VERSION,
            "through": through,
            "extra": self.extra,
            "records": len(table),
            "byteorder": sys.byteorder,
        }
        file.write(json.dumps(header).encode("utf-8") + b"\n")
        for column in table.columns[:3]:  # seen_at only matters within a run
            column.tofile(file)  # type: ignore[arg-type]

    def _load(self) -> None:
        base = f"{self.stem}.ckpt"
        table = self._table
        if os.path.exists(base):
            with open(base, "rb") as file:
                header = json.loads(file.readline())
                if header.get("version") != VERSION:
                    raise ValueError(f"checkpoint {base} has version {header.get('version')}, not {VERSION}")
                self._through = int(header.get("through", 0))
                self.extra = dict(header.get("extra") or {})
                count = int(header["records"])
                for column in table.columns[:3]:
                    column.fromfile(file, count)  # type: ignore[arg-type]
                    if header.get("byteorder") != sys.byteorder:
                        column.byteswap()
                table.columns[3].frombytes(bytes(8 * count))
        self._next = self._through + 1
        for path in self._deltas():
            sequence = int(_DELTA.search(path).group(1))  # type: ignore[union-attr]
            if sequence <= self._through:
                continue  # folded into the base by a run killed before it could delete the delta
            with open(path, encoding="utf-8") as file:
                delta = json.load(file)
            table.put((key, digest, emitted, 0) for key, digest, emitted in delta["updates"])
            self.extra = dict(delta.get("extra") or {})
            self._next = max(self._next, sequence + 1)
        self._remove_stale_temporaries()

    def _deltas(self) -> Iterator[str]:
        prefix = os.path.basename(self.stem) + "."
        names = sorted(
            name for name in os.listdir(self.folder) if name.startswith(prefix) and _DELTA.search(name)
        )
        return (os.path.join(self.folder, name) for name in names)

    def _remove_stale_temporaries(self) -> None:
        """A kill mid-write leaves a temporary file that was never renamed: it holds nothing committed.
        Only this input's own: another input may be writing beside it right now."""
        prefix = _temporary_prefix(self.stem)
        for name in os.listdir(self.folder):
            if name.startswith(prefix) and name.endswith(".part"):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(self.folder, name))
