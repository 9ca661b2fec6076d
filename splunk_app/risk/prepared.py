"""The risk table and the alias table in a prepared form that a search opens and queries by key.

A correlation search over a handful of events should cost the process start and a few lookups, whatever
the table's size. The prepared form is an SQLite file (the standard library's `sqlite3`) of key -> value
tables: a risk table's users (email -> profile, so a local part is a range of keys) and their mail
domains (-> how many users); an alias table's user and domain aliases and the
warnings its bad rows gave. Measured against the earlier form (the whole table read into memory at every
search) in docs/performance.md.

- **Stale never wins.** A form is stamped with what it was made from (a CSV file's path, size, times and
  inode; the KV store table's version token; the risk policy's identity) and used only while that matches.
- **Never half of one.** A form is written under a temporary name and renamed into place: a reader sees the
  old file or the new one. It is opened read-only as immutable, since it is only ever replaced.
- **Damage is rebuilt, never read.** At open: another format, a size other than the file's own page count,
  a header that is not complete, a file others may write. At every lookup: each row carries a CRC of its
  key and value, and any SQLite error is damage too (`Damaged`), after which the caller discards the file
  (`discard`) and prepares it again.
- **Prepared once.** Where a search must prepare (a CSV replaced by hand), it does so under a lock file that
  other searches wait on (`obtain`); they then open what it made.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from splunk_app.risk.identity import AMBIGUOUS, Aliases, read_aliases

try:
    import fcntl
except ImportError:  # Windows: no lock; two searches may both prepare, each renaming a whole file into place
    fcntl = None  # type: ignore[assignment]

APPLICATION_ID = 0x4D435246  # "MCRF", in the SQLite header: this add-on's prepared form
VERSION = 2  # PRAGMA user_version; 1 was the whole-table file of earlier releases
SEP = "\x1f"  # between a user's values; a table with it in a value is not prepared (read whole instead)
SUFFIX = ".sqlite"
KEEP = 8  # prepared files kept per cache folder (indexers see a new bundle path per knowledge bundle)
LOCK_WAIT = 300.0  # seconds a search waits for another one preparing the same form, then prepares itself
LOCK_POLL = 0.05
BATCH = 10_000  # users written per batch
LOCAL_PART_ROWS = 16  # emails read that start with `user@`: enough to tell one from several
_KEY_VALUE = "(key TEXT PRIMARY KEY, value TEXT NOT NULL, crc INTEGER NOT NULL) WITHOUT ROWID"
_QUERY = "SELECT value, crc FROM {} WHERE key = ?"
_RANGE = "SELECT key, value, crc FROM {} WHERE key >= ? AND key < ? LIMIT ?"
RISK_TABLES = ("users", "domains")
ALIAS_TABLES = ("alias_users", "alias_domains")


class Damaged(Exception):
    """A prepared form found damaged while it was read: discard it and prepare it again."""

    def __init__(self, form: Form, problem: str) -> None:
        super().__init__(f"the prepared table {form.path.name} is damaged ({problem})")
        self.form = form


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
    return folder / f"{zlib.crc32(source_name.encode('utf-8')):08x}-{len(source_name)}{SUFFIX}"


def _crc(key: str, value: str) -> int:
    return zlib.crc32(f"{key}\x1e{value}".encode("utf-8", "surrogatepass"))


class Form:
    """One opened prepared file: its header and checked lookups by key in its tables."""

    def __init__(self, path: Path, db: sqlite3.Connection, header: dict[str, Any], inode: int) -> None:
        self.path = path
        self.header = header
        self.inode = inode
        self.lookups = 0
        self._db = db
        # The names are ours: open_form checked the file's tables are exactly the ones asked for.
        self._queries = {name: _QUERY.format(name) for name in header["tables"]}

    def get(self, table: str, key: str) -> str | None:
        """The value of `key` in `table`, None when absent. Raises Damaged."""
        self.lookups += 1
        try:
            row = self._db.execute(self._queries[table], (key,)).fetchone()
        except (sqlite3.Error, UnicodeError) as err:
            raise Damaged(self, type(err).__name__) from err
        return None if row is None else self.checked(key, *row)

    def starting(self, table: str, prefix: str, limit: int) -> list[tuple[str, str]]:
        """Up to `limit` (key, value) of `table` whose key starts with `prefix`, in key order (keys compare
        as UTF-8 bytes, so they lie between the prefix and the prefix with its last character's next).
        Raises Damaged."""
        self.lookups += 1
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        try:
            rows = self._db.execute(_RANGE.format(table), (prefix, end, limit)).fetchall()
        except (sqlite3.Error, UnicodeError) as err:
            raise Damaged(self, type(err).__name__) from err
        return [(key, self.checked(key, value, crc)) for key, value, crc in rows]

    def rows(self, table: str) -> Iterator[tuple[str, str, int]]:
        """Every (key, value, crc) of `table`, unchecked: the caller checks each row it uses (`checked`)."""
        try:
            yield from self._db.execute(f"SELECT key, value, crc FROM {table}")  # noqa: S608 -- our own name
        except (sqlite3.Error, UnicodeError) as err:
            raise Damaged(self, type(err).__name__) from err

    def checked(self, key: str, value: str, crc: int) -> str:
        if crc != _crc(key, value):
            raise Damaged(self, "a row fails its check")
        return value

    def close(self) -> None:
        self._db.close()


def open_form(path: Path, source: object, tables: tuple[str, ...]) -> Form | None:
    """The prepared form at `path` if it was made from exactly `source`, holds `tables` and looks whole;
    None otherwise (absent, stale, damaged, another format or owner)."""
    try:
        handle = path.open("rb")
    except OSError:
        return None
    with handle:
        info = os.fstat(handle.fileno())
        head = handle.read(100)
    if len(head) < 100 or not head.startswith(b"SQLite format 3\0") or not _private(path):
        return None
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size  # as SQLite writes 65,536
    pages = int.from_bytes(head[28:32], "big")
    application, version = int.from_bytes(head[68:72], "big"), int.from_bytes(head[60:64], "big")
    if (application, version) != (APPLICATION_ID, VERSION) or pages * page_size != info.st_size:
        return None
    db = None
    try:
        db = sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        header = json.loads(db.execute("SELECT value FROM meta WHERE key = 'header'").fetchone()[0])
        if header.get("source") != json.loads(json.dumps(source)) or tuple(header["tables"]) != tables:
            db.close()
            return None
        return Form(path, db, header, info.st_ino)
    except (sqlite3.Error, ValueError, TypeError, KeyError, AttributeError):
        if db is not None:
            db.close()
        return None


def discard(form: Form) -> None:
    """Remove a damaged form, unless another process has already replaced it."""
    form.close()
    with contextlib.suppress(OSError):
        if form.path.stat().st_ino == form.inode:
            form.path.unlink()


def obtain(
    path: Path, source: object, tables: tuple[str, ...], fill: Callable[[Writer], bool]
) -> Form | None:
    """The prepared form made from `source`, preparing it first when there is none: once, under a lock
    that other searches preparing the same form wait on (then they open what it made). `fill` writes the
    tables into a Writer and returns False when the table cannot be prepared. None when it cannot be."""
    form = open_form(path, source, tables)
    if form is not None:
        return form
    with _locked(path):
        form = open_form(path, source, tables)
        if form is None and write(path, source, tables, fill):
            form = open_form(path, source, tables)
    return form


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path`'s lock file while preparing it, waited for up to LOCK_WAIT seconds;
    without one (no fcntl, no lock file, a search that never lets go) the preparation goes ahead anyway,
    safe through the rename, only not shared."""
    handle = None
    with contextlib.suppress(OSError):
        handle = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if handle is not None and fcntl is not None:
            deadline = time.monotonic() + LOCK_WAIT
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(LOCK_POLL)
        yield
    finally:
        if handle is not None:
            os.close(handle)  # closing lets go of the lock


class Writer:
    """What `fill` writes into: rows of the form's tables, and the header's other entries."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.extra: dict[str, Any] = {}

    def insert(self, table: str, rows: Iterable[tuple[str, str]]) -> None:
        """Rows of (key, value); of two rows with one key, the last stands."""
        self.db.executemany(
            f"INSERT OR REPLACE INTO {table} VALUES (?, ?, ?)",  # noqa: S608 -- our own table names
            ((key, value, _crc(key, value)) for key, value in rows),
        )


def write(path: Path, source: object, tables: tuple[str, ...], fill: Callable[[Writer], bool]) -> bool:
    """Write the form (atomically: readers see the old file or the new one). False when `fill` says the
    table cannot be prepared or the file cannot be written; the search then reads the table itself."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".prepared-", suffix=".tmp")
    os.close(handle)
    try:
        db = sqlite3.connect(temporary, isolation_level=None)
        try:
            db.executescript(
                "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -16384;"
                f"PRAGMA application_id = {APPLICATION_ID}; BEGIN;"
                + "".join(f"CREATE TABLE {name} {_KEY_VALUE};" for name in ("meta", *tables))
            )
            writer = Writer(db)
            if not fill(writer):
                return False
            header = {**writer.extra, "source": source, "tables": list(tables)}
            Writer(db).insert("meta", [("header", json.dumps(header, separators=(",", ":")))])
            db.execute(f"PRAGMA user_version = {VERSION}")  # the mark of a complete form
            db.execute("COMMIT")
        finally:
            db.close()
        os.replace(temporary, path)
    except (OSError, sqlite3.Error):
        return False
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
    _prune(path.parent)
    return True


def _prune(folder: Path) -> None:
    """Keep the newest KEEP prepared files (each knowledge bundle on an indexer is a new source path), and
    remove what an older release or a killed preparation left."""
    files = sorted(folder.glob(f"*{SUFFIX}"), key=_modified, reverse=True)
    stale = [*files[KEEP:], *folder.glob("*.prepared")]
    stale += [left for left in folder.glob(".prepared-*.tmp") if time.time() - _modified(left) > LOCK_WAIT]
    for old in stale:
        with contextlib.suppress(OSError):
            old.unlink()
            Path(f"{old}.lock").unlink()


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def profiles(form: Form, width: int, email_at: int) -> dict[str, tuple[str, ...]]:
    """Email -> a user's values, every row of a prepared form checked and split at once: what a search that
    meets many users looks up (a plain dict, the fastest lookup there is). Repeated values (grades,
    departments) are one shared copy each, and a user's email (at `email_at`) is the key's own copy,
    which keeps a 1,000,000-user table smaller than its rows as read."""
    shared: dict[str, str] = {}
    found: dict[str, tuple[str, ...]] = {}
    check, after = form.checked, email_at + 1
    for key, value, crc in form.rows("users"):
        values = _split(form, check(key, value, crc), width)
        if values[email_at] != key:
            raise Damaged(form, "a user's values name another user")
        found[key] = (
            *map(shared.setdefault, values[:email_at], values[:email_at]),
            key,
            *map(shared.setdefault, values[after:], values[after:]),
        )
    return found


def _split(form: Form, text: str, width: int) -> tuple[str, ...]:
    values = tuple(text.split(SEP))
    if len(values) != width:
        raise Damaged(form, "a user's values are not whole")
    return values


def joined(values: tuple[str, ...]) -> str | None:
    """A user's values as one text, or None when one holds the separator (the form cannot carry it)."""
    text = SEP.join(values)
    return text if text.count(SEP) == len(values) - 1 else None


class PreparedUsers:
    """A risk table's users by key from its prepared form: what `RiskTable` asks (each user's values, and
    `identity.Directory`), one lookup at a time."""

    def __init__(self, form: Form, width: int, email_at: int) -> None:
        self.form = form
        self._width = width
        self._email_at = email_at  # where a user's email is among their values

    def get(self, email: str) -> tuple[str, ...] | None:
        text = self.form.get("users", email)
        return None if text is None else _split(self.form, text, self._width)

    def holds(self, email: str) -> bool:
        return self.form.get("users", email) is not None

    def mail_domain(self, domain: str) -> bool:
        return self.form.get("domains", domain) is not None

    def local_part(self, user: str) -> str:
        """The one email with this local part, AMBIGUOUS when several have it, else empty: the users whose
        email starts with `user@` (an email with an `@` in its local part too is read at its last `@`)."""
        rows = self.form.starting("users", f"{user}@", LOCAL_PART_ROWS)
        emails = [email for email, _text in rows if email.rpartition("@")[0] == user]
        return (emails[0] if len(emails) == 1 else AMBIGUOUS) if emails else ""

    def __len__(self) -> int:
        return int(self.form.header["users"])

    def in_memory(self) -> tuple[dict[str, tuple[str, ...]], dict[str, int]]:
        """Every user's values and the mail domains' counts, for a search that meets many users."""
        domains = {
            key: int(self.form.checked(key, value, crc)) for key, value, crc in self.form.rows("domains")
        }
        return profiles(self.form, self._width, self._email_at), domains


def users_filler(profiles: Iterable[tuple[str, tuple[str, ...]]]) -> Callable[[Writer], bool]:
    """What writes a risk table's (email, values) into a prepared form, a batch at a time (memory stays
    flat): the users, and the mail domains' counts."""

    def fill(writer: Writer) -> bool:
        domains: Counter[str] = Counter()
        width = None
        batch: list[tuple[str, str]] = []
        for email, values in profiles:
            text = joined(values)
            if text is None or width not in (None, len(values)):
                return False
            width = len(values)
            batch.append((email, text))
            if len(batch) >= BATCH:
                _add_users(writer, batch, domains)
                batch = []
        _add_users(writer, batch, domains)
        writer.insert("domains", ((domain, str(count)) for domain, count in domains.items()))
        (users,) = writer.db.execute("SELECT COUNT(*) FROM users").fetchone()
        writer.extra.update(users=users, width=width)
        return True

    return fill


def _add_users(writer: Writer, batch: list[tuple[str, str]], domains: Counter[str]) -> None:
    writer.insert("users", batch)
    domains.update(email.rpartition("@")[2] for email, _text in batch)


class _Lookup(Mapping):
    """One table of a prepared form as a read-only mapping, queried by key."""

    def __init__(self, form: Form, table: str, size: int) -> None:
        self._form = form
        self._table = table
        self._size = size

    def get(self, key: str, default: object = None) -> Any:
        found = self._form.get(self._table, key) if self._size else None
        return default if found is None else found

    def __getitem__(self, key: str) -> str:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        return (
            key for key, value, crc in self._form.rows(self._table) if self._form.checked(key, value, crc)
        )

    def __len__(self) -> int:
        return self._size


def prepared_aliases(path: Path, warn: Callable[[str], None], cache: Path | None) -> Aliases:
    """The alias table from its prepared form when one was made from this very file (its bad rows'
    warnings said again), else read from the file and prepared for the next search."""
    try:
        with path.open("rb") as handle:
            source = ["aliases", str(path), *file_stamp(handle)]
    except OSError:
        return read_aliases(path, warn)  # absent: no aliases; unreadable: it says so
    keep = prepared_path(cache, f"aliases:{path}") if cache is not None else None
    form = open_form(keep, source, ALIAS_TABLES) if keep is not None else None
    if form is None:
        said: list[str] = []
        aliases = read_aliases(path, said.append)
        if keep is not None:
            write(keep, source, ALIAS_TABLES, _aliases_filler(aliases, said))
        for text in said:
            warn(text)
        return aliases
    for text in form.header["warnings"]:
        warn(str(text))
    users, domains = form.header["sizes"]
    if not users and not domains:  # no aliases (the shipped file is empty): nothing to look up
        form.close()
        return Aliases()
    return Aliases(_Lookup(form, "alias_users", users), _Lookup(form, "alias_domains", domains))


def _aliases_filler(aliases: Aliases, warnings: list[str]) -> Callable[[Writer], bool]:
    def fill(writer: Writer) -> bool:
        writer.insert("alias_users", aliases.users.items())
        writer.insert("alias_domains", aliases.domains.items())
        writer.extra.update(warnings=warnings, sizes=[len(aliases.users), len(aliases.domains)])
        return True

    return fill
