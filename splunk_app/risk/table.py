"""The per-user risk profile: the columns of the risk table and what a SAFE grade means for the SOC."""

from __future__ import annotations

import csv
import math
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from operator import itemgetter
from pathlib import Path

from splunk_app.risk import prepared
from splunk_app.risk.identity import AMBIGUOUS, EMAIL, MAX_IDENTITY, NONE, Aliases, Match, fold, named, read
from splunk_app.risk.policy import in_force, watchlisted
from splunk_app.risk.policy import stamp as policy_stamp
from splunk_app.risk.prepared import PreparedUsers

COLLECTION = "mimecast_user_risk"
# The table's CSV twin in the app's lookups/ folder, for `| mimecastrisk lookup=...` on the indexers (the
# KV store lives on the search head only), and the shipped saved search that writes it from the collection.
CSV_TWIN = "mimecast_user_risk.csv"
CSV_TWIN_SEARCH = "Mimecast Awareness - Risk table CSV for indexers"

FIELDS = (
    "email",
    "name",
    "department",
    "user_state",
    "safe_grade",
    "human_error",
    "engagement",
    "knowledge",
    "sentiment",
    "watchlist",
    "watchlist_count",
    "num_correct",
    "num_incorrect",
    "num_not_watched",
    "priority",
    "updated",
)


def priority_for(grade: str | None) -> str:
    """A SAFE grade's Enterprise Security identity priority by the risk policy, so ES's own risk factors
    apply."""
    return in_force().priority(grade)


class TableError(Exception):
    """The risk table could not be read; the message says which table and what to do."""


# What `mimecastrisk` adds to an event, in this order (each name gets the command's prefix).
# `identity` and `grades` list every user of the event; the others describe its riskiest user.
ENRICH_FIELDS = (
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
)
MATCH = "match"  # added after ENRICH_FIELDS: how the (riskiest) user was matched
UNKNOWN = "unknown"
MEMO_SIZE = 1 << 18  # values remembered per search: logs repeat their users
DOMAIN_PROBES = 8  # up to this many mail domains, a bare user is tried in each; beyond, an index is built
# A search looks users up in the prepared form one at a time until it has made this many lookups plus one
# for every eight users: then reading them all costs less than looking up the rest (docs/performance.md).
LOOKUPS = 2_000
Profile = tuple  # one user's values for ENRICH_FIELDS, all str
NO_USER: Profile = (UNKNOWN, "", "", "", "", "false", "", "", UNKNOWN, "", "", "")
_GRADE, _WATCHLIST, _WATCHLIST_COUNT, _IDENTITY, _GRADES = 0, 5, 6, 10, 11


def _text(value: object) -> str:
    """A table value as the text Splunk shows: KV store documents carry numbers, booleans and nulls."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def profile_of(row: Mapping[str, object], shared: dict[str, str] | None = None) -> Profile | None:
    """The enrichment values of one table row (a KV store document or a CSV row as a dict), keyed by its
    folded email (`identity.fold`); None without an email (a value with an `@`) that folds safely.
    `shared` lets many users share one copy of each repeated value (grades, departments), which keeps a
    100,000-user table small."""
    texts = [_text(row.get(name)) for name in SOURCE]
    texts[0] = texts[0] or _text(row.get("_key"))
    found = _profile(texts)
    return found if found is None or shared is None else _interned(found, shared)


def _interned(found: Profile, shared: dict[str, str]) -> Profile:
    """The profile with each value replaced by the one copy in `shared`."""
    return tuple(map(shared.setdefault, found, found))


SOURCE = (  # the table's columns a profile is made of, in the order `_profile` reads them
    "email",
    "safe_grade",
    "human_error",
    "engagement",
    "knowledge",
    "sentiment",
    "watchlist",
    "watchlist_count",
    "department",
    "priority",
    "updated",
)


def _profile(texts: Sequence[str]) -> Profile | None:
    """A profile from the SOURCE columns' text (stripped): grades in upper case, `true` or `false` for the
    watch list, the policy's priority where the table has none."""
    email = fold(texts[0])
    if email is None or "@" not in email:
        return None
    _email, grade, human, engagement, knowledge, sentiment, listed, count, department, priority, updated = (
        texts
    )
    grade = grade.upper() or UNKNOWN
    return (
        grade,
        human.upper(),
        engagement.upper(),
        knowledge.upper(),
        sentiment.upper(),
        "true" if watchlisted(listed) else "false",
        count,
        department,
        priority or priority_for(grade),
        updated,
        email,
        grade,
    )


def csv_profiles(handle: Iterable[str], name: str) -> Iterator[tuple[str, Profile]]:
    """(email, profile) of each row of a CSV table with an email, read by column position: a
    1,000,000-user table is read in the time a search may take to prepare it. Errors name it as `name`."""
    reader = csv.reader(handle)
    header = next(reader, [])
    if "email" not in header:
        raise TableError(
            f"the risk table {name} has no 'email' column; its header must name the columns "
            f"{', '.join(FIELDS)}"
        )
    width = len(header)
    cells = itemgetter(*(header.index(column) if column in header else width for column in SOURCE))
    strip = str.strip
    for row in reader:
        if len(row) != width:
            row = (row + [""] * width)[:width]  # noqa: PLW2901 -- a short or long row, as DictReader reads it
        row.append("")  # the cell of a column the table lacks
        found = _profile(list(map(strip, cells(row))))
        if found is not None:
            yield found[_IDENTITY], found


class MemoryUsers:
    """A risk table's users held in memory (read whole from its rows, or from a prepared form's rows when a
    search meets many users): each user's values by email, and what `identity.named` asks of a table."""

    def __init__(self, profiles: Mapping[str, Profile], domains: Mapping[str, int] | None = None) -> None:
        self.profiles = profiles
        self.get = profiles.get
        self.domains = Counter(
            domains if domains is not None else (key.rpartition("@")[2] for key in profiles)
        )
        self._domains = tuple(domain for domain, _count in self.domains.most_common())  # most users first
        self._mail_domains = frozenset(self._domains)
        self._local_users: dict[str, str] | None = None  # local part -> email or AMBIGUOUS, when many domains

    def __len__(self) -> int:
        return len(self.profiles)

    def holds(self, email: str) -> bool:
        return email in self.profiles

    def mail_domain(self, domain: str) -> bool:
        return domain in self._mail_domains

    def local_part(self, user: str) -> str:
        """The one email with this local part, AMBIGUOUS when several have it, else empty."""
        if len(self._domains) > DOMAIN_PROBES:
            return self._local_index().get(user, "")
        found = ""
        for domain in self._domains:
            email = f"{user}@{domain}"
            if email in self.profiles:
                if found:
                    return AMBIGUOUS
                found = email
        return found

    def _local_index(self) -> dict[str, str]:
        """Local part -> the one email with it (or AMBIGUOUS), built once for a table of many mail domains."""
        if self._local_users is None:
            index: dict[str, str] = {}
            for email in self.profiles:
                local = email.rpartition("@")[0]
                index[local] = email if local not in index else AMBIGUOUS
            self._local_users = index
        return self._local_users


class RiskTable:
    """The one rule that says which user of the risk table a log's value names (`resolve`), used by
    `mimecastrisk` and the alert actions alike, over the table's users: held in memory, or looked up one at
    a time in a prepared form (`prepared.PreparedUsers`) until a search has met so many that reading them
    all costs less (then they are held in memory too)."""

    def __init__(
        self,
        users: MemoryUsers | PreparedUsers,
        default_domain: str = "",
        aliases: Aliases | None = None,
        reload: Callable[[], RiskTable] | None = None,
    ) -> None:
        self.users = users
        self.default_domain = default_domain.strip().lstrip("@").lower()
        self.aliases = aliases if aliases is not None else Aliases()
        self.reload = reload  # reads the table again, when its prepared form turns out damaged
        self._ranks = {grade: rule.rank for (grade, listed), rule in in_force().rules.items() if not listed}
        self._unranked = in_force().rule(None).rank
        self._memo: dict[str, tuple[Profile | None, str]] = {}
        self._risks: dict[str, tuple[int, bool, int]] = {}  # email -> `risk_rank`, for users met in lists

    def __len__(self) -> int:
        return len(self.users)

    def resolve(self, value: str) -> Match:
        """The table user that one value names, and how, by `identity.named`'s rule: the email in any case
        or display-name form, an alias, or a unique local part, never an outsider's address. Never a
        guess: when several users fit, the email is None and the match `ambiguous`."""
        found, how = self.find(value)
        return Match(found[_IDENTITY] if found is not None else None, how)

    def find(self, value: str) -> tuple[Profile | None, str]:
        """`resolve` with the user's whole profile; remembered per value, since logs repeat their users (a
        value too long to be an identity names nobody, and is not kept)."""
        if len(value) > MAX_IDENTITY:
            return None, NONE
        known = self._memo.get(value)
        if known is None:
            known = self.look_up(value)
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[value] = known
        return known

    def look_up(self, value: str) -> tuple[Profile | None, str]:
        """`find` without remembering the value, for a caller that keeps what it found itself."""
        if len(value) > MAX_IDENTITY:
            return None, NONE
        try:
            return self._lookup(value)
        except prepared.Damaged as err:
            self._recover(err)
            return self._lookup(value)

    def _lookup(self, value: str) -> tuple[Profile | None, str]:
        users = self.users
        found = users.get(value)  # written as the table writes it
        known = (found, EMAIL) if found is not None else self._find(value)
        if users.__class__ is PreparedUsers and users.form.lookups > len(users) // 8 + LOOKUPS:  # type: ignore[union-attr]
            self.users = MemoryUsers(*users.in_memory())  # type: ignore[union-attr]
        return known

    def _find(self, value: str) -> tuple[Profile | None, str]:
        name = read(value)
        if name is None:
            return None, NONE
        found = self.users.get(name.key) if name.key != value else None
        if found is not None:
            return found, EMAIL
        email, how = named(name, self.users, self.aliases, self.default_domain)
        if email == AMBIGUOUS:
            return None, AMBIGUOUS
        found = self.users.get(email) if email else None
        return (found, how) if found is not None else (None, NONE)

    def close(self) -> None:
        """Let go of the prepared form the table is looked up in, if any."""
        if isinstance(self.users, PreparedUsers):
            self.users.form.close()

    def _recover(self, err: prepared.Damaged) -> None:
        """A prepared form found damaged: it is removed and the table read again (and prepared afresh)."""
        prepared.discard(err.form)
        if self.reload is None:
            raise TableError(f"{err}; it was removed: run the search again") from err
        fresh = self.reload()
        self.users, self.aliases = fresh.users, fresh.aliases
        self._memo.clear()
        self._risks.clear()

    def describe(self, identities: Iterable[str]) -> tuple[Profile, str]:
        """One event's values from all of its users, and how its riskiest user was matched. Only users found
        in the table count: each one's identity and grade listed (duplicates dropped), the grade and
        components of the riskiest, watchlist `true` if any is watch-listed and the highest watch-list
        count. With no user found: `unknown`, and `ambiguous` if some value fitted several users."""
        seen: dict[str, tuple[Profile, str]] = {}
        missing = NONE
        for identity in identities:
            found, how = self.find(identity)
            if found is None:
                if how == AMBIGUOUS:
                    missing = AMBIGUOUS
            else:
                seen.setdefault(found[_IDENTITY], (found, how))
        if not seen:
            return NO_USER, missing
        if len(seen) == 1:
            return next(iter(seen.values()))
        found_users = list(seen.values())
        worst, how = max(found_users, key=self._risk)
        counts = [user[_WATCHLIST_COUNT] for user, _how in found_users if user[_WATCHLIST] == "true"]
        return (
            *worst[:_WATCHLIST],
            "true" if counts else "false",
            max(counts, key=_count) if counts else worst[_WATCHLIST_COUNT],
            *worst[_WATCHLIST_COUNT + 1 : _IDENTITY],
            [user[_IDENTITY] for user, _how in found_users],
            [user[_GRADES] for user, _how in found_users],
        ), how

    def _risk(self, item: tuple[Profile, str]) -> tuple[int, bool, int]:
        """`risk_rank` of a found user, worked out once per user: lists repeat their users."""
        user = item[0]
        known = self._risks.get(user[_IDENTITY])
        if known is None:
            known = risk_rank(user, self._ranks.get(user[_GRADE], self._unranked))
            self._risks[user[_IDENTITY]] = known
        return known


def risk_rank(profile: Profile, rank: int | None = None) -> tuple[int, bool, int]:
    """Orders users by risk: the worse grade first (the policy's rank, unless given), then watch-listed,
    then the longer watch-list history."""
    grade, listed, count = profile[_GRADE], profile[_WATCHLIST], profile[_WATCHLIST_COUNT]
    return in_force().rank(grade) if rank is None else rank, listed == "true", _count(count)


def _count(text: str) -> int:
    """A watch-list count as a number to compare; 0 when it is none, or not finite (`Infinity`, `NaN`)."""
    try:
        number = float(text)
    except ValueError:
        return 0
    return int(number) if math.isfinite(number) else 0


def profiles_of(
    rows: Iterable[Mapping[str, object]], shared: dict[str, str] | None = None
) -> Iterator[tuple[str, Profile]]:
    """(email, profile) of each row with an email, from KV store documents or CSV rows as dicts."""
    for row in rows:
        found = profile_of(row, shared)
        if found is not None:
            yield found[_IDENTITY], found


def table_from_rows(
    rows: Iterable[Mapping[str, object]], default_domain: str = "", aliases: Aliases | None = None
) -> RiskTable:
    """A table held in memory from KV store documents or CSV rows; rows without an email are left out."""
    return RiskTable(MemoryUsers(dict(profiles_of(rows, {}))), default_domain, aliases)


def prepared_table(
    path: Path,
    source: object,
    profiles: Iterable[tuple[str, Profile]],
    default_domain: str = "",
    aliases: Aliases | None = None,
) -> RiskTable | None:
    """The table from its prepared form at `path` when it was made from `source`, else prepared first from
    `profiles` (once, while other searches wait); None when it cannot be prepared."""
    form = prepared.obtain(path, source, prepared.RISK_TABLES, prepared.users_filler(profiles))
    if form is None:
        return None
    return RiskTable(PreparedUsers(form, len(ENRICH_FIELDS), _IDENTITY), default_domain, aliases)


def read_csv(
    path: str | os.PathLike[str],
    default_domain: str = "",
    aliases: Aliases | None = None,
    shown: str = "",
    cache: Path | None = None,
) -> RiskTable:
    """The table from a CSV with the collection's columns (a lookup file). Errors name it as `shown` (by
    default its file name), never by its path. With a `cache` folder, the table is looked up in its
    prepared form, made from this very file (by this search, when no other has)."""
    name = shown or os.path.basename(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            if cache is not None:
                source = ["csv", os.fspath(path), *prepared.file_stamp(handle), *policy_stamp()]
                keep = prepared.prepared_path(cache, os.fspath(path))
                table = prepared_table(keep, source, csv_profiles(handle, name), default_domain, aliases)
                if table is not None:
                    return table
                handle.seek(0)
            shared: dict[str, str] = {}
            profiles = {email: _interned(found, shared) for email, found in csv_profiles(handle, name)}
            return RiskTable(MemoryUsers(profiles), default_domain, aliases)
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise TableError(f"cannot read the risk table {name}: {_reason(err)}") from err


def _reason(err: Exception) -> str:
    """What went wrong, without the file path an OSError carries."""
    if isinstance(err, OSError):
        return err.strerror or type(err).__name__
    if isinstance(err, UnicodeDecodeError):
        return f"it is not UTF-8 text (byte {err.start})"
    return str(err)
