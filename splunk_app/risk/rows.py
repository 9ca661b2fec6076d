"""One chunk's records as CSV rows (lists), enriched in place: the lean record path of `mimecastrisk`.

splunklib turns every row into a dict and writes it back field by field, which costs more than the
enrichment itself; here a row stays the list the csv module read, and the risk columns are appended.
splunkd's results CSV names each field once and may add an `__mv_<field>` twin that holds a multivalue
field as `$one$;$two$` (a `$` inside a value doubled) while the plain column holds the values joined by
newlines. A field without a twin is single-valued, so only the two listing fields get one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence

from splunk_app.risk.identity import NONE
from splunk_app.risk.table import ENRICH_FIELDS, MATCH, NO_USER, Profile, RiskTable, split_identities

MV = "__mv_"
LISTED = ENRICH_FIELDS[-2:]  # identity, grades: the fields that hold one value per user
_NO_TWINS = ("", "")
_LIST_MARKS = re.compile(r"[,;<]")  # a value that may name several users
_MV_VALUE = re.compile(r"\$((?:\$\$|[^$])*)\$(?:;|$)")


def decode_mv(text: str) -> list[str]:
    """The values of an `__mv_` column."""
    return [value.replace("$$", "$") for value in _MV_VALUE.findall(text)]


def encode_mv(values: Iterable[str]) -> str:
    """An `__mv_` column's text for these values."""
    return "$" + "$;$".join(value.replace("$", "$$") for value in values) + "$"


def lines(text: str) -> Iterator[str]:
    """The lines of a chunk body, each with its `\\n`, for the csv reader. A StringIO would hold a copy of
    the body at four bytes a character; only `\\n` ends a line, as in a StringIO."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start) + 1 or size
        yield text[start:end]
        start = end


def added_columns(prefix: str) -> list[str]:
    """The header cells the command appends, in the order `enrich_rows` writes their values."""
    return [prefix + name for name in (*ENRICH_FIELDS, MATCH)] + [MV + prefix + name for name in LISTED]


def enrich_rows(
    rows: Iterator[list[str]],
    table: RiskTable,
    fields: Sequence[str],
    every_field: bool,
    prefix: str,
    *,
    warn: Callable[[str], None] = lambda text: None,
) -> Iterator[list[str]]:
    """The header, then every row with the risk columns appended, in the order read.

    The users are read from `fields`: all of them when `every_field`, else the first that the row has a
    value in. Fields are looked up in each chunk's own header, so a field that appears only in a later
    chunk is used there. Columns the event already has under the added names (the command run twice) are
    replaced, not repeated. A row with fewer cells than the header is completed with empty cells, one
    with more loses the extra cells, each said once through `warn`."""
    header = next(rows, None)
    if header is None:
        return
    width = len(header)
    header, kept = _without_added(header, prefix)
    position = {name: index for index, name in enumerate(header)}
    sources = [(position[name], position.get(MV + name)) for name in fields if name in position]
    yield header + added_columns(prefix)
    find, describe = table.find, table.describe
    for row in rows:
        if len(row) != width:
            row = _fitted(row, width, warn)  # noqa: PLW2901 -- the row as wide as its header
        if kept is not None:
            row = [row[index] for index in kept]  # noqa: PLW2901 -- the row without the replaced columns
        if every_field:
            found, how = describe(_users(row, sources))
        else:
            found, how = NO_USER, NONE
            for index, mv_index in sources:
                value = row[index]
                if value:
                    several = (mv_index is not None and row[mv_index]) or _LIST_MARKS.search(value)
                    found, how = describe(_users(row, ((index, mv_index),))) if several else find(value)
                    break
            if found is None:
                found = NO_USER
        if found[-1].__class__ is list:
            row.extend(_encoded(found, how))
        else:
            row.extend(found)
            row.append(how)
            row.extend(_NO_TWINS)
        yield row


def _fitted(row: list[str], width: int, warn: Callable[[str], None]) -> list[str]:
    if len(row) < width:
        warn("a record had fewer fields than its chunk's header names; the missing ones were left empty")
        return row + [""] * (width - len(row))
    warn("a record had more fields than its chunk's header names; the extra ones were dropped")
    return row[:width]


def _without_added(header: list[str], prefix: str) -> tuple[list[str], list[int] | None]:
    """The header without columns of the names the command adds, and which columns to keep (None: all)."""
    added = added_columns(prefix)
    replaced = set(added) | {MV + name for name in added}
    kept = [index for index, name in enumerate(header) if name not in replaced]
    if len(kept) == len(header):
        return header, None
    return [header[index] for index in kept], kept


def _users(row: list[str], sources: Iterable[tuple[int, int | None]]) -> Iterator[str]:
    for index, mv_index in sources:
        values = decode_mv(row[mv_index]) if mv_index is not None and row[mv_index] else [row[index]]
        for value in values:
            yield from split_identities(value)


def _encoded(found: Profile, how: str) -> list[str]:
    """A several-user result as columns: the plain cells newline-joined, the twins `$`-encoded."""
    lists = found[-len(LISTED) :]
    return [
        *found[: -len(LISTED)],
        *("\n".join(values) for values in lists),
        how,
        *(encode_mv(values) for values in lists),
    ]
