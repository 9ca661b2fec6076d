"""One chunk's records, enriched: the lean record path of `mimecastrisk`.

splunklib turns every row into a dict and writes it back field by field, which costs more than the
enrichment itself. Here the csv module reads the rows (for the user fields), and a record goes back as its
very text (one line, or several where a value holds a newline) with the risk cells after it: the event's
own cells are neither copied nor quoted again. A short or long row, or a header whose added columns are
replaced (the command run twice), goes back as its list of cells, for the csv writer.
splunkd's results CSV names each field once and may add an `__mv_<field>` twin that holds a multivalue
field as `$one$;$two$` (a `$` inside a value doubled) while the plain column holds the values joined by
newlines. A field without a twin is single-valued, so only the two listing fields get one.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator, Sequence

from splunk_app.risk.identity import MAX_IDENTITY, NONE, split_identities
from splunk_app.risk.table import ENRICH_FIELDS, MATCH, NO_USER, Profile, RiskTable

MV = "__mv_"
LISTED = ENRICH_FIELDS[-2:]  # identity, grades: the fields that hold one value per user
_NO_TWINS = ("", "")
_NEWLINE = "\n"  # between a listing cell's values (an f-string's expression may not hold a backslash)
_IDENTITY_AT = ENRICH_FIELDS.index("identity")
MEMO_BUDGET = 1 << 26  # what a search's memo holds at most (`Memo`): about 77 MB, measured at 420,000 cells
ENTRY = 100  # what one kept cell or text costs beyond its characters (the dict's slot, the string's header)
_LIST_MARKS = re.compile(r"[,;<]")  # a value that may name several users
_LONE_CR = re.compile(r"\r(?!\n)")
_MV_VALUE = re.compile(r"\$((?:\$\$|[^$])*)\$(?:;|$)")


def decode_mv(text: str) -> list[str]:
    """The values of an `__mv_` column."""
    return [value.replace("$$", "$") for value in _MV_VALUE.findall(text)]


def encode_mv(values: Iterable[str]) -> str:
    """An `__mv_` column's text for these values."""
    return "$" + "$;$".join(value.replace("$", "$$") for value in values) + "$"


def lines(text: str, end: list[int] | None = None) -> Iterator[str]:
    """The lines of a chunk body, each with its `\\n`, for the csv reader; with `end`, where the last line
    given ends is kept in `end[0]`. A StringIO would hold a copy of the body at four bytes a character; only
    `\\n` ends a line, as in a StringIO."""
    at = [0] if end is None else end
    start, size = 0, len(text)
    while start < size:
        at[0] = text.find("\n", start) + 1 or size
        yield text[start : at[0]]
        start = at[0]


def _refuses_nul() -> bool:
    """Python 3.9's csv module stops at a NUL character ("line contains NUL"); later ones read it."""
    try:
        list(csv.reader(["\0\n"]))
    except csv.Error:
        return True
    return False


REFUSES_NUL = _refuses_nul()
NUL_WARNING = "a record held a NUL character, which this Python's csv module cannot read; it became U+FFFD"


def added_columns(prefix: str) -> list[str]:
    """The header cells the command appends, in the order `enrich_chunk` writes their values."""
    return [prefix + name for name in (*ENRICH_FIELDS, MATCH)] + [MV + prefix + name for name in LISTED]


class Memo:
    """The added text by the cell that named the event's users, kept from one chunk to the next: logs
    repeat their users, so a cell met before costs one lookup. One user's text is shared by every cell
    that names them. A cell over MAX_IDENTITY characters is never kept, and everything is dropped once the
    kept cells and texts reach MEMO_BUDGET (characters, plus ENTRY for each)."""

    def __init__(self) -> None:
        self.cells: dict[str, str] = {}
        self.users: dict[tuple[str, str], str] = {}
        self.size = 0

    def keep(self, cell: str, text: str) -> None:
        if len(cell) <= MAX_IDENTITY:
            self.spend(len(cell))
            self.cells[cell] = text

    def spend(self, characters: int) -> None:
        """Count what one more cell or text holds, dropping everything first when the budget is spent."""
        self.size += characters + ENTRY
        if self.size > MEMO_BUDGET:
            self.cells.clear()
            self.users.clear()
            self.size = characters + ENTRY


def enrich_chunk(
    body: str,
    table: RiskTable,
    fields: Sequence[str],
    every_field: bool,
    prefix: str,
    *,
    warn: Callable[[str], None] = lambda text: None,
    terminator: str = "\r\n",
    memo: Memo | None = None,
) -> Iterator[str | list[str]]:
    """The header (cells), then every record with the risk columns appended, in the order read: a record
    as wide as its header as its text with the added cells and `terminator` after it, any other as its
    cells.

    The users are read from `fields`: all of them when `every_field`, else the first that the row has a
    value in. Fields are looked up in each chunk's own header, so a field that appears only in a later
    chunk is used there. Columns the event already has under the added names (the command run twice) are
    replaced, not repeated. A row with fewer cells than the header is completed with empty cells, one
    with more loses the extra cells, each said through `warn`. `memo` keeps the added text of the cells
    met, from one chunk to the next (one Memo per prefix and terminator)."""
    if REFUSES_NUL and "\0" in body:
        warn(NUL_WARNING)
        body = body.replace("\0", "\ufffd")
    readable, stand_in = _without_lone_carriage_returns(body)  # the same length: positions hold
    end, size = [0], len(body)
    reader = csv.reader(lines(readable, end))
    header = next(reader, None)
    if header is None:
        return
    width = len(header)
    header, kept = _without_added(_restored(header, stand_in), prefix)
    position = {name: index for index, name in enumerate(header)}
    sources = [(position[name], position.get(MV + name)) for name in fields if name in position]
    yield header + added_columns(prefix)
    added = _adder(table, sources, every_field, Memo() if memo is None else memo, terminator)
    start, plain = end[0], kept is None
    for row in reader:
        stop = end[0]
        text = body[start:stop]
        start = stop
        # The record's own text, the added cells after it; not when its cells must be fitted, when the body
        # ended inside its quotes (the cells would be swallowed) or when it holds a lone carriage return.
        if (
            plain
            and len(row) == width
            and (stop != size or not text.count('"') & 1)
            and not (stand_in and _LONE_CR.search(text))
        ):
            yield _line(text) + added(row)
        else:
            row = _fitted_row(_restored(row, stand_in), width, kept, warn)  # noqa: PLW2901 -- for the writer
            yield row + _cells(*_found(table, row, sources, every_field))


def _without_lone_carriage_returns(body: str) -> tuple[str, str]:
    """The body with each carriage return that no newline follows stood in for by a character the body
    lacks (the csv module stops at one in an unquoted cell: "new-line character seen in unquoted field"),
    and that character; the body itself and "" when it has none."""
    if "\r" not in body or not _LONE_CR.search(body):
        return body, ""
    used = set(body)
    stand_in = next(chr(code) for code in range(0xE000, 0x110000) if chr(code) not in used)
    return _LONE_CR.sub(stand_in, body), stand_in


def _restored(cells: list[str], stand_in: str) -> list[str]:
    return [cell.replace(stand_in, "\r") for cell in cells] if stand_in else cells


def _adder(
    table: RiskTable,
    sources: Sequence[tuple[int, int | None]],
    every_field: bool,
    memo: Memo,
    terminator: str,
) -> Callable[[list[str]], str]:
    """What makes a record's added text: from the memo when the cell that names the user was met before,
    else found in the table and kept (a list of users is found each time)."""
    cells, describe, look_up = memo.cells, table.describe, table.look_up

    def added(row: list[str]) -> str:
        if every_field:
            return _suffix(*describe(_users(row, sources)), memo, terminator)
        for index, mv_index in sources:  # the first field with a value names the users
            cell = row[index]
            if cell:
                if mv_index is not None and row[mv_index]:  # a multivalue field: its values
                    return _suffix(*describe(_users(row, ((index, mv_index),))), memo, terminator)
                text = cells.get(cell)
                if text is None:
                    if _LIST_MARKS.search(cell):  # a list: met again too rarely to keep
                        return _suffix(*describe(split_identities(cell)), memo, terminator)
                    text = _suffix(*_one(look_up(cell)), memo, terminator)
                    memo.keep(cell, text)
                return text
        return _suffix(NO_USER, NONE, memo, terminator)

    return added


def _found(
    table: RiskTable, row: list[str], sources: Sequence[tuple[int, int | None]], every_field: bool
) -> tuple[Profile, str]:
    """The users of a row and how they were matched, without the memo (a row fitted to its header)."""
    if every_field:
        return table.describe(_users(row, sources))
    for index, mv_index in sources:
        if row[index]:
            if mv_index is not None and row[mv_index]:
                return table.describe(_users(row, ((index, mv_index),)))
            return _named(table, row[index])
    return NO_USER, NONE


def _named(table: RiskTable, cell: str) -> tuple[Profile, str]:
    """Whom one cell names: one user, or each of a list's."""
    if _LIST_MARKS.search(cell):
        return table.describe(split_identities(cell))
    return _one(table.find(cell))


def _one(found: tuple[Profile | None, str]) -> tuple[Profile, str]:
    """One value's user and how, NO_USER for none."""
    return (NO_USER, found[1]) if found[0] is None else found  # type: ignore[return-value]


def _line(text: str) -> str:
    """A record's text without its terminator."""
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text


def _cells(found: Profile, how: str) -> list[str]:
    """The added cells, in the order of `added_columns`."""
    if found[-1].__class__ is list:
        return _encoded(found, how)
    return [*found, how, *_NO_TWINS]


def _suffix(found: Profile, how: str, memo: Memo, terminator: str) -> str:
    """The added cells as CSV text after a record's own line; one user's text is made once."""
    if found[-1].__class__ is list:  # several users: the listing cells hold newlines, so they are quoted
        identities, grades = found[-len(LISTED) :]
        return (
            f",{_joined(found[: -len(LISTED)])},{_quoted(_NEWLINE.join(identities))},"
            f"{_quoted(_NEWLINE.join(grades))},{how},{_quoted(encode_mv(identities))},"
            f"{_quoted(encode_mv(grades))}{terminator}"
        )
    key = (found[_IDENTITY_AT], how)
    text = memo.users.get(key)
    if text is None:
        text = "," + _joined((*found, how, *_NO_TWINS)) + terminator
        memo.spend(len(text))
        memo.users[key] = text
    return text


def _joined(cells: Sequence[str]) -> str:
    """Cells as one CSV line's text (no terminator)."""
    text = ",".join(cells)
    if text.count(",") == len(cells) - 1 and '"' not in text and "\n" not in text and "\r" not in text:
        return text  # no cell needs quotes: the common case
    return ",".join(map(_quoted, cells))


def _quoted(cell: str) -> str:
    """A cell as Splunk's results CSV writes it: quoted (quotes doubled) only when it must be."""
    if '"' in cell:
        return '"' + cell.replace('"', '""') + '"'
    if "," in cell or "\n" in cell or "\r" in cell:
        return '"' + cell + '"'
    return cell


def _fitted_row(row: list[str], width: int, kept: list[int] | None, warn: Callable[[str], None]) -> list[str]:
    """The row as wide as its header, without the columns the command replaces."""
    if len(row) != width:
        row = _fitted(row, width, warn)
    return row if kept is None else [row[index] for index in kept]


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
    """A several-user result as cells: the plain cells newline-joined, the twins `$`-encoded."""
    lists = found[-len(LISTED) :]
    return [
        *found[: -len(LISTED)],
        *("\n".join(values) for values in lists),
        how,
        *(encode_mv(values) for values in lists),
    ]
