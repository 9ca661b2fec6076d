"""What an input already emitted: one content hash per record key, so a run writes only what changed
(and everything again before it is full_snapshot_hours old), and a killed run loses nothing.

On disk, in splunkd's checkpoint_dir, per input:
- `<name>.ckpt`: the base, JSON lines (a header, then `[key, hash, emitted_at]` per record);
- `<name>.<seq>.delta`: one per page that a run handed on, with that page's emitted keys.
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
import struct
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

VERSION = 1
_TIMES = struct.Struct("<qq")  # emitted_at, seen_at: whole epoch seconds (snapshot times are whole)
_DELTA = re.compile(r"\.(\d{9})\.delta$")


def file_stem(input_name: str) -> str:
    """A file name for an input stanza (`mimecast_at_safe_score://prod`): readable and collision-free."""
    readable = re.sub(r"[^A-Za-z0-9_-]+", "_", input_name)[:80]
    return f"{readable}-{hashlib.blake2b(input_name.encode('utf-8'), digest_size=5).hexdigest()}"


def atomic_write(path: str, write: Any) -> None:
    """Call `write(file)` on a temporary file beside `path`, fsync it, rename it over `path` and fsync
    the folder: after a crash at any point `path` holds the old content or the new, never a mix."""
    folder = os.path.dirname(path) or "."
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=_temporary_prefix(path), suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_folder(folder)


def _pack(digest: str, emitted: float, seen: float) -> bytes:
    """One record's state as a single small bytes object: memory per user is what limits big tenants."""
    return digest.encode("utf-8") + _TIMES.pack(int(emitted), int(seen))


def _unpack(value: bytes) -> tuple[str, int, int]:
    emitted, seen = _TIMES.unpack_from(value, len(value) - _TIMES.size)
    return value[: -_TIMES.size].decode("utf-8"), emitted, seen


def _temporary_prefix(path: str) -> str:
    return ".tmp-" + os.path.basename(path).split(".")[0] + "-"


def _fsync_folder(folder: str) -> None:
    with contextlib.suppress(OSError):  # not every platform lets a folder be opened
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


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
        self._state: dict[str, bytes] = {}  # key -> _pack(hash, emitted_at, seen_at): ~70 bytes, not ~160
        self._through = 0  # the last delta folded into the base
        self._next = 1
        os.makedirs(folder, exist_ok=True)
        self._load()

    def __len__(self) -> int:
        return len(self._state)

    def __contains__(self, key: str) -> bool:
        return key in self._state

    def due(self, key: str, digest: str, now: float) -> bool:
        """True when the record is new, changed, or last emitted too long ago; marks it seen at `now`."""
        known = self._state.get(key)
        if known is None:
            return True
        last_digest, emitted, _ = _unpack(known)
        self._state[key] = _pack(last_digest, emitted, now)
        return last_digest != digest or now - emitted >= self.resend_after

    def commit(self, emitted: Iterable[tuple[str, str]], now: float, **extra: Any) -> None:
        """Record a page whose events were all handed on, with any small run state that must move with
        it (a training cursor): one atomic delta file, or none when nothing changed."""
        updates = [[key, digest, now] for key, digest in emitted]
        for key, digest, when in updates:
            self._state[key] = _pack(digest, when, when)
        changed = {key: value for key, value in extra.items() if self.extra.get(key) != value}
        if not updates and not changed:
            return
        self.extra.update(changed)
        path = f"{self.stem}.{self._next:09d}.delta"
        atomic_write(path, lambda file: json.dump({"updates": updates, "extra": self.extra}, file))
        self._next += 1

    def finish(self, complete: bool, now: float) -> list[str]:
        """Fold the deltas into a new base. After a complete snapshot, forget the keys it did not hold
        (so they are emitted again if they come back) and return them."""
        gone: list[str] = []
        if complete:
            gone = [key for key, value in self._state.items() if _unpack(value)[2] != int(now)]
            for key in gone:
                del self._state[key]
        through = self._next - 1
        atomic_write(f"{self.stem}.ckpt", lambda file: self._write_base(file, through))
        self._through = through
        for path in self._deltas():
            with contextlib.suppress(OSError):
                os.unlink(path)
        return gone

    def _write_base(self, file: IO[str], through: int) -> None:
        file.write(json.dumps({"version": VERSION, "through": through, "extra": self.extra}) + "\n")
        for key, value in self._state.items():
            digest, emitted, _ = _unpack(value)
            file.write(json.dumps([key, digest, emitted], ensure_ascii=False) + "\n")

    def _load(self) -> None:
        base = f"{self.stem}.ckpt"
        if os.path.exists(base):
            with open(base, encoding="utf-8") as file:
                header = json.loads(file.readline())
                if header.get("version") != VERSION:
                    raise ValueError(f"checkpoint {base} has version {header.get('version')}, not {VERSION}")
                self._through = int(header.get("through", 0))
                self.extra = dict(header.get("extra") or {})
                for line in file:
                    key, digest, emitted = json.loads(line)
                    self._state[key] = _pack(digest, emitted, 0)
        self._next = self._through + 1
        for path in self._deltas():
            sequence = int(_DELTA.search(path).group(1))  # type: ignore[union-attr]
            if sequence <= self._through:
                continue  # folded into the base by a run killed before it could delete the delta
            with open(path, encoding="utf-8") as file:
                delta = json.load(file)
            for key, digest, emitted in delta["updates"]:
                self._state[key] = _pack(digest, emitted, 0)
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
