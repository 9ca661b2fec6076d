"""Who a log's value names: how security logs write a user, the alias table, and the one rule that picks a
risk-table user for `mimecastrisk`, the alert actions and the SOAR app alike.

Logs write one person as `jane.doe@example.com`, `JANE.DOE@Example.COM`, `"Jane Doe" <jane.doe@example.com>`,
`CORP\\jdoe`, `jdoe` or `jdoe@corp.local`. Values come from outside the company too (a sender, a phishing
address), so the rule never lets one pick a user by its local part alone: an address matches that way only
under one of the company's own domains, and text is compared NFKC-casefolded, refusing any character that
folding turns into ASCII (a look-alike such as the Kelvin sign or a full-width letter).
"""

from __future__ import annotations

import csv
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

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
# The fields that name an event's users, in the order they are read: whom the event is about (the user, a
# mail's recipient) before who acted or sent it (a sender may be an outsider). `mimecastrisk` reads the
# first that an event has; the alert actions the same, after `mimecast_identity`, and never a `sender`.
USER_FIELDS = ("user", "recipient", "src_user", "sender", "email")


@dataclass(frozen=True)
class Match:
    """What `RiskTable.resolve` found for one value: the table user's email (None when no single user
    fits) and how (`email`, `alias`, `local_part`, `ambiguous` or `none`)."""

    email: str | None
    how: str


class Name(NamedTuple):
    """One identity read apart, folded (`fold`): the whole value (without a display name), the user name,
    the domain after `@` and the NetBIOS domain before `\\` (each empty when the value has none)."""

    key: str
    user: str
    domain: str
    netbios: str


def fold(text: str) -> str | None:
    """`text` as identities are compared: NFKC with case folded, so `JANE`, `Jane` and `jane` are one
    name. None when folding would turn a non-ASCII character into ASCII (the Kelvin sign into `k`,
    full-width `ｊａｎｅ` into `jane`, `ß` into `ss`): such text names nobody rather than an ASCII user."""
    if text.isascii():
        return text.lower()  # ASCII's case folding is lower(), and NFKC leaves ASCII as it is
    if any(_into_ascii(char) for char in set(text) if not char.isascii()):
        return None
    return _nfkc_casefold(text)


def _nfkc_casefold(text: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def _into_ascii(char: str) -> bool:
    """Whether folding one non-ASCII character yields any ASCII character."""
    return any(folded.isascii() for folded in _nfkc_casefold(char))


def read(value: str) -> Name | None:
    """The parts of one identity as logs write it, or None for a value that names no person."""
    if len(value) > MAX_IDENTITY:
        return None
    key = fold(value.strip())
    if key is None:
        return None
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


def split_identities(value: str) -> list[str]:
    """The users of one field value: a recipient list may be one value with commas or semicolons, and a
    mail log may write `"Doe, Jane" <jane.doe@example.com>`. Lists are split only outside quotes and
    angle brackets; in a list that writes addresses in angle brackets, a part with no address is a
    display name's piece (`Doe, Jane <jane.doe@example.com>`), never a user."""
    if '"' not in value and "<" not in value:
        parts = _SEPARATORS.split(value) if ("," in value or ";" in value) else [value]
        return [text for text in map(str.strip, parts) if text]
    users, angled = [], False
    for part in _PART.findall(value):
        text = part.strip()
        if "<" in text and text.endswith(">"):
            text, angled = text[text.rindex("<") + 1 : -1].strip(), True
        if text:
            users.append(text)
    return [user for user in users if "@" in user] if angled else users


_SEPARATORS = re.compile(r"[,;]")
_PART = re.compile(r'(?:"(?:[^"\\]|\\.)*"?|<[^>]*>?|[^,;"<])+')  # a list item: quotes and <> kept whole


class Directory(Protocol):
    """What the rule asks of the risk table: its addresses, its mail domains, its users' local parts."""

    def holds(self, email: str) -> bool:
        """Whether the table has a user with this (folded) email."""

    def mail_domain(self, domain: str) -> bool:
        """Whether some table user's email is under this domain."""

    def local_part(self, user: str) -> str:
        """The one table email with this local part, AMBIGUOUS when several have it, else empty."""


def named(name: Name, table: Directory, aliases: Aliases, default_domain: str = "") -> tuple[str, str]:
    """The email that a value the table does not hold as written names, by the first rule that applies,
    and how: (email, how), the email empty or AMBIGUOUS when no single user fits.

    A name in the alias table; then, for `DOMAIN\\user`, bare `user` and addresses under the company's
    domains (a mail domain of the table, or a domain the alias table maps), the user's alias,
    `default_domain`, the mapped domain, or (not for addresses) the one user with that local part. An
    address under any other domain names nobody: outsiders never pick a user."""
    ours = not name.domain or name.domain in aliases.domains or table.mail_domain(name.domain)
    alias = aliases.users.get(name.key)
    if alias is None and ours and (name.domain or name.netbios):
        alias = aliases.users.get(name.user)
    if alias is not None:
        return alias, ALIAS
    if not ours:
        return "", NONE
    if default_domain and name.domain != default_domain:
        email = f"{name.user}@{default_domain}"
        if table.holds(email):
            return email, LOCAL_PART
    qualifier = name.domain or name.netbios
    mapped = aliases.domains.get(qualifier) if qualifier else None
    if mapped is not None:
        return f"{name.user}@{mapped}", ALIAS
    if name.domain:
        return "", NONE  # the company's own mail domain, and the table does not hold the address
    return table.local_part(name.user), LOCAL_PART


@dataclass
class Aliases:
    """The alias table: other names of a user (`CORP\\jdoe`, `jdoe`, `jdoe@corp.local`) and other names of
    a mail domain (`CORP` or `@corp.local` for `@example.com`), all folded (`fold`). Read by key only, so
    a prepared form can stand in for the dicts."""

    users: Mapping[str, str] = field(default_factory=dict)  # name -> email, or AMBIGUOUS
    domains: Mapping[str, str] = field(default_factory=dict)  # NetBIOS domain or UPN suffix -> mail domain

    def __len__(self) -> int:
        return len(self.users) + len(self.domains)


def aliases_from_rows(rows: Iterable[dict[str, str]], warn: Callable[[str], None]) -> Aliases:
    """The alias table from its rows (`alias`, `email`); each bad row is named in one warning and left out.
    A name given to two different users is kept as ambiguous, so it never picks one of them."""
    users: dict[str, str] = {}
    domains: dict[str, str] = {}
    problems = 0
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        if number - 1 > MAX_ALIAS_ROWS:
            warn(f"the alias table has more than {MAX_ALIAS_ROWS:,} rows; the rest are ignored")
            break
        problem = _add_alias(users, domains, row)
        if problem:
            problems += 1
            if problems <= MAX_WARNINGS:
                warn(f"{ALIAS_FILE} row {number}: {problem}; the row is ignored")
    if problems > MAX_WARNINGS:
        warn(f"{ALIAS_FILE}: {problems - MAX_WARNINGS} more bad rows ignored")
    return Aliases(users, domains)


def _add_alias(users: dict[str, str], domains: dict[str, str], row: dict[str, str]) -> str:
    """Adds one row; returns what is wrong with it, or an empty string."""
    alias = str(row.get("alias") or "").strip()
    target = str(row.get("email") or "").strip()
    problem = _unusable(alias, target)
    if problem:
        return problem
    alias, target = fold(alias) or "", fold(target) or ""
    if target.startswith("@"):
        return _add_domain(domains, alias, target[1:])
    local, at, domain = target.partition("@")
    if not (at and local and _is_domain(domain)):
        return f"email {_shown(target)} is not an address like jane.doe@example.com"
    name = read(alias)
    if name is None:
        return f"alias {_shown(alias)} names no person"
    known = users.get(name.key)
    users[name.key] = target if known in (None, target) else AMBIGUOUS
    return (
        f"alias {_shown(alias)} already names another user; it matches neither"
        if known not in (None, target)
        else ""
    )


def _unusable(alias: str, target: str) -> str:
    """What makes a row's two values unusable as identities, or an empty string."""
    if not alias or not target:
        return "it needs both an alias and an email"
    if len(alias) > MAX_IDENTITY or len(target) > MAX_IDENTITY:
        return "a value is too long to be an identity"
    if fold(alias) is None or fold(target) is None:
        return "a value holds a character that only looks like a letter or digit (it folds into ASCII)"
    return ""


def _add_domain(domains: dict[str, str], alias: str, domain: str) -> str:
    name = alias.strip("@\\")
    if not _is_domain(domain) or not name or "\\" in name or "@" in name:
        return "a domain alias maps a NetBIOS domain (CORP) or UPN suffix (@corp.local) to @maildomain"
    domains[name] = domain
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
