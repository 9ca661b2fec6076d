"""How security logs write a user, and the alias table that maps the names a directory uses to mail addresses.

Logs write one person as `jane.doe@example.com`, `JANE.DOE@Example.COM`, `"Jane Doe" <jane.doe@example.com>`,
`CORP\\jdoe`, `jdoe` or `jdoe@corp.example.local`. This module only reads those forms apart; which user of the
risk table a form names is `RiskTable.resolve`'s decision.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

# How a value was matched (`<prefix>match`): the words an analyst sees.
EMAIL, ALIAS, LOCAL_PART, AMBIGUOUS, NONE = "email", "alias", "local_part", "ambiguous", "none"

ALIAS_FILE = "mimecast_identity_aliases.csv"
ALIAS_COLUMNS = ("alias", "email")
MAX_IDENTITY = 512  # longer than any address (254) in a display-name form; longer values are not identities
MAX_ALIAS_ROWS = 1_000_000
MAX_WARNINGS = 10  # bad alias rows named one by one; beyond that, a count

# Values that logs write where there is no person: never looked up, even if a table user had the name.
NOT_PEOPLE = frozenset(
    (
        "",
        "-",
        "--",
        "n/a",
        "na",
        "none",
        "null",
        "unknown",
        "system",
        "anonymous",
        "local service",
        "network service",
    )
)
SERVICE_DOMAIN = "nt authority"


@dataclass(frozen=True)
class Match:
    """What `RiskTable.resolve` found for one value: the table user's email (None when no single user
    fits) and how (`email`, `alias`, `local_part`, `ambiguous` or `none`)."""

    email: str | None
    how: str


class Name(NamedTuple):
    """One identity read apart, lower-cased: the whole value (without a display name), the user name, the
    domain after `@` and the NetBIOS domain before `\\` (each empty when the value has none)."""

    key: str
    user: str
    domain: str
    netbios: str


def read(value: str) -> Name | None:
    """The parts of one identity as logs write it, or None for a value that names no person."""
    if len(value) > MAX_IDENTITY:
        return None
    key = value.strip().lower()
    if "<" in key and key.endswith(">"):
        key = key[key.rindex("<") + 1 : -1].strip()
    if key.startswith("mailto:"):
        key = key[7:]
    if key in NOT_PEOPLE or key.endswith("$"):
        return None
    netbios, backslash, rest = key.rpartition("\\")
    if backslash and (netbios == SERVICE_DOMAIN or not rest):
        return None
    local, at, domain = rest.rpartition("@")
    if at:  # an address, also after a NetBIOS domain (CORP\\jane@example.com)
        return Name(rest, local, domain, netbios) if local and domain else None
    return Name(key, rest, "", netbios)


@dataclass
class Aliases:
    """The alias table: other names of a user (`CORP\\jdoe`, `jdoe`, `jdoe@corp.local`) and other names of
    a mail domain (`CORP` or `@corp.local` for `@example.com`), all lower-case."""

    users: dict[str, str] = field(default_factory=dict)  # name -> email, or AMBIGUOUS
    domains: dict[str, str] = field(default_factory=dict)  # NetBIOS domain or UPN suffix -> mail domain

    def __len__(self) -> int:
        return len(self.users) + len(self.domains)


def aliases_from_rows(rows: Iterable[dict[str, str]], warn: Callable[[str], None]) -> Aliases:
    """The alias table from its rows (`alias`, `email`); each bad row is named in one warning and left out.
    A name given to two different users is kept as ambiguous, so it never picks one of them."""
    aliases = Aliases()
    problems = 0
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        if number - 1 > MAX_ALIAS_ROWS:
            warn(f"the alias table has more than {MAX_ALIAS_ROWS:,} rows; the rest are ignored")
            break
        problem = _add_alias(aliases, row)
        if problem:
            problems += 1
            if problems <= MAX_WARNINGS:
                warn(f"{ALIAS_FILE} row {number}: {problem}; the row is ignored")
    if problems > MAX_WARNINGS:
        warn(f"{ALIAS_FILE}: {problems - MAX_WARNINGS} more bad rows ignored")
    return aliases


def _add_alias(aliases: Aliases, row: dict[str, str]) -> str:
    """Adds one row; returns what is wrong with it, or an empty string."""
    alias = str(row.get("alias") or "").strip().lower()
    target = str(row.get("email") or "").strip().lower()
    if not alias or not target:
        return "it needs both an alias and an email"
    if len(alias) > MAX_IDENTITY or len(target) > MAX_IDENTITY:
        return "a value is too long to be an identity"
    if target.startswith("@"):
        return _add_domain(aliases, alias, target[1:])
    local, at, domain = target.partition("@")
    if not (at and local and _is_domain(domain)):
        return f"email {_shown(target)} is not an address like jane.doe@example.com"
    name = read(alias)
    if name is None:
        return f"alias {_shown(alias)} names no person"
    known = aliases.users.get(name.key)
    aliases.users[name.key] = target if known in (None, target) else AMBIGUOUS
    return (
        f"alias {_shown(alias)} already names another user; it matches neither"
        if known not in (None, target)
        else ""
    )


def _add_domain(aliases: Aliases, alias: str, domain: str) -> str:
    name = alias.strip("@\\")
    if not _is_domain(domain) or not name or "\\" in name or "@" in name:
        return "a domain alias maps a NetBIOS domain (CORP) or UPN suffix (@corp.local) to @maildomain"
    aliases.domains[name] = domain
    return ""


def _is_domain(text: str) -> bool:
    labels = text.split(".")
    return all(label and all(char.isalnum() or char == "-" for char in label) for label in labels)


def _shown(text: str) -> str:
    """A value in a message: short, and with any control character escaped."""
    return repr(text[:80])


def read_aliases(path: str | os.PathLike[str], warn: Callable[[str], None]) -> Aliases:
    """The alias file, or an empty table when there is none. A file that cannot be read at all is one
    warning (by its name, not its path) and no aliases: matching goes on without them."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [column for column in ALIAS_COLUMNS if column not in (reader.fieldnames or ())]
            if missing:
                warn(f"{ALIAS_FILE} has no {' or '.join(missing)} column; aliases are not used")
                return Aliases()
            return aliases_from_rows(reader, warn)
    except FileNotFoundError:
        return Aliases()
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        warn(f"{ALIAS_FILE} cannot be read ({type(err).__name__}); aliases are not used")
        return Aliases()
