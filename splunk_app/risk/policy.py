"""The risk policy: what a SAFE grade (and a place on the watch list) means for the SOC.

One table, read here and by every shipped search (through the macro `mimecast_awareness_risk_policy`), so
Python and SPL cannot disagree about a user: for each grade and watch-list status, the grade's rank (worse
grades higher), Enterprise Security's identity priority, the ES risk score and whether the user counts as
risky. A grade the table does not name, or no grade, follows the row `unknown`. What a grade looks like
(`GRADE_FORM`, read by `grade_name`) is declared here too, for the policy's rows and for what Mimecast sends
alike; the SPL macro `mimecast_awareness_grade` spells the same rule. The app ships the table as
`lookups/mimecast_risk_policy.csv`; an administrator's rows (kept where an upgrade leaves them, see
splunk_app/splunk/admin_tables.py) take the place of the shipped rows for the same grade and watch-list
status, on both sides.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

POLICY_FILE = "mimecast_risk_policy.csv"
COLUMNS = ("grade", "watchlist", "rank", "priority", "risk_score", "risky")
# Columns added later: a table edited before they existed still reads, and scores 0 there, as the SPL does
# (the detections take a missing score as 0).
SCORES_ADDED = ("change_risk_score", "phish_risk_score")
UNKNOWN = "unknown"
# What a grade looks like, in the policy and from Mimecast (untrusted): a letter, then letters, digits, +
# or -, at most GRADE_LENGTH characters in all, spaces and tabs around it ignored, compared in upper case.
# Safe in a CSV cell, an ES category and a KV store query; E, A+ or B- are grades the policy may not name
# yet. The SPL macro `mimecast_awareness_grade` removes SPACED from the start and asks for nothing left over
# (no end anchor: a macro with arguments would read its `$` as one).
GRADE_LENGTH = 16
GRADE_FORM = f"[A-Za-z][A-Za-z0-9+-]{{0,{GRADE_LENGTH - 1}}}"
SPACED = f"^[ \\t]*{GRADE_FORM}[ \\t]*"
_GRADE = re.compile(f"[ \\t]*({GRADE_FORM})[ \\t]*")
PRIORITIES = ("unknown", "low", "medium", "high", "critical")  # ES's identity priorities
MAX_ROWS = 100
TRUE_WORDS = ("true", "1", "yes")


Key = tuple[str, bool]  # (grade in upper case, watch-listed)


class PolicyError(Exception):
    """The policy table cannot be used; the message names the row and what is wrong."""


@dataclass(frozen=True)
class Rule:
    """One row of the policy: what a grade means with (or without) a place on the watch list."""

    rank: int
    priority: str
    risk_score: int
    risky: bool
    change_risk_score: int = 0
    phish_risk_score: int = 0


class Policy:
    """The policy table by (grade, watch-listed); grades are compared in upper case."""

    def __init__(self, rules: dict[Key, Rule]) -> None:
        self.rules = rules

    def rule(self, grade: str | None, watchlisted: bool = False) -> Rule:
        key = (grade or "").strip().upper()
        found = self.rules.get((key, watchlisted))
        return found if found is not None else self.rules[(UNKNOWN.upper(), watchlisted)]

    def rank(self, grade: str | None) -> int:
        return self.rule(grade).rank

    def priority(self, grade: str | None) -> str:
        return self.rule(grade).priority

    def grades(self) -> list[str]:
        """The grades the table names (not `unknown`), best first."""
        named = {grade for grade, _listed in self.rules if grade != UNKNOWN.upper()}
        return sorted(named, key=lambda grade: (self.rules[(grade, False)].rank, grade))


def grade_name(value: object) -> str:
    """A grade as the table stores it and the policy names it (upper case), or "" when `value` is not text
    that looks like a grade (`GRADE_FORM`): the caller decides whether that is "no grade" or unreadable."""
    found = _GRADE.fullmatch(value) if isinstance(value, str) else None
    return found.group(1).upper() if found is not None else ""


def watchlisted(value: object) -> bool:
    """A watch-list cell as the table and SPL read it: `true`, `1` or `yes` in any case."""
    return str(value if value is not None else "").strip().lower() in TRUE_WORDS


def app_root() -> Path:
    """The app's folder: this package sits in its lib/ when installed, at the repository's top otherwise."""
    above = Path(__file__).resolve().parents[2]
    return above.parent if above.name == "lib" else above


def read_policy(path: str | os.PathLike[str]) -> Policy:
    """The policy from its CSV; every grade needs a row with and without the watch list, and so does
    `unknown`; rank and priority may not depend on the watch list."""
    rules = read_rules(path)
    _check_complete(rules, POLICY_FILE)
    return Policy(rules)


def read_rules(path: str | os.PathLike[str]) -> dict[Key, Rule]:
    """The rows of a policy CSV, each checked."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [column for column in COLUMNS if column not in (reader.fieldnames or ())]
            if missing:
                raise PolicyError(f"{POLICY_FILE} has no {', '.join(missing)} column")
            return rules_from_rows(reader, POLICY_FILE)
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise PolicyError(
            f"cannot read {POLICY_FILE} ({type(err).__name__}); reinstall the app's lookups"
        ) from err


def rules_from_rows(rows: Iterable[Mapping[str, object]], source: str) -> dict[Key, Rule]:
    """Policy rows, each checked and named by `source` and its row number; a second row for the same grade
    and watch-list status is an error."""
    rules: dict[Key, Rule] = {}
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        if number > MAX_ROWS + 1:
            raise PolicyError(f"{source} has more than {MAX_ROWS} rows")
        key, rule = _rule(row, f"{source} row {number}")
        if key in rules:
            raise PolicyError(f"{source} row {number}: a second row for {key[0]} {_listed(key[1])}")
        rules[key] = rule
    return rules


def with_changes(base: Policy, rows: Sequence[Mapping[str, object]], source: str) -> Policy:
    """`base` with an administrator's rows (from `source`) in place of its own for the same grade and
    watch-list status (a new grade is added); the result must be complete, as the shipped table is. A score
    a row leaves out is found as the macro's OUTPUTNEW lookups find it (`_score_left_out`)."""
    given = {_key(row): row for row in rows}
    filled = [
        {
            **row,
            **{
                column: _cell(row, column) or _score_left_out(base, given, _key(row), column)
                for column in SCORES_ADDED
            },
        }
        for row in rows
    ]
    rules = {**base.rules, **rules_from_rows(filled, source)}
    _check_complete(rules, f"the risk policy with the rows of {source}")
    return Policy(rules)


def _score_left_out(base: Policy, given: Mapping[Key, Mapping[str, object]], key: Key, column: str) -> str:
    """A score column the administrator's row leaves out: the shipped row's for the same grade and watch-list
    status, else the UNKNOWN row's (the administrator's, then the shipped one)."""
    if key in base.rules:
        return str(getattr(base.rules[key], column))
    unknown = (UNKNOWN.upper(), key[1])
    return _cell(given.get(unknown, {}), column) or str(getattr(base.rules[unknown], column))


def _rule(row: Mapping[str, object], where: str) -> tuple[Key, Rule]:
    grade = _cell(row, "grade").upper()
    listed = _cell(row, "watchlist").lower()
    priority = _cell(row, "priority").lower()
    risky = _cell(row, "risky").lower()
    if not grade or grade_name(grade) != grade:
        raise PolicyError(
            f"{where}: grade must be a letter, then up to {GRADE_LENGTH - 1} letters, digits, + or - "
            "(such as A, E or B+), or unknown"
        )
    if listed not in ("true", "false") or risky not in ("true", "false"):
        raise PolicyError(f"{where}: watchlist and risky must be true or false")
    if priority not in PRIORITIES:
        raise PolicyError(f"{where}: priority must be one of {', '.join(PRIORITIES)}")
    try:
        rank, score = int(_cell(row, "rank")), int(_cell(row, "risk_score"))
        added = [int(_cell(row, column) or "0") for column in SCORES_ADDED]
    except ValueError:
        raise PolicyError(f"{where}: rank and the risk scores must be whole numbers") from None
    if not (0 <= rank <= 100 and all(0 <= value <= 1000 for value in (score, *added))):
        raise PolicyError(f"{where}: rank must be 0 to 100 and the risk scores 0 to 1000")
    return (grade, listed == "true"), Rule(rank, priority, score, risky == "true", *added)


def _key(row: Mapping[str, object]) -> Key:
    return _cell(row, "grade").upper(), _cell(row, "watchlist").lower() == "true"


def _cell(row: Mapping[str, object], column: str) -> str:
    value = row.get(column)
    return "" if value is None else str(value).strip()


def _check_complete(rules: dict[Key, Rule], source: str) -> None:
    for grade in {grade for grade, _listed in rules} | {UNKNOWN.upper()}:
        pair = [rules.get((grade, listed)) for listed in (False, True)]
        if None in pair:
            absent = [_listed(listed) for listed, rule in zip((False, True), pair) if rule is None]
            raise PolicyError(
                f"{source} needs a row for {grade.lower() if grade == 'UNKNOWN' else grade} "
                f"{' and '.join(absent)}"
            )
        off, on = pair
        if off is not None and on is not None and (off.rank, off.priority) != (on.rank, on.priority):
            raise PolicyError(f"{source}: grade {grade} has another rank or priority on the watch list")


def _listed(listed: bool) -> str:
    return "on the watch list" if listed else "off the watch list"


@lru_cache(maxsize=1)
def shipped() -> Policy:
    """The app's own policy table, read once per process."""
    return read_policy(app_root() / "lookups" / POLICY_FILE)


@dataclass
class _InForce:
    policy: Policy | None = None
    changes: str = ""  # what identifies the administrator's rows; "" for none


_IN_FORCE = _InForce()


def in_force() -> Policy:
    """The policy this process follows: the shipped table with the administrator's rows once a splunkd
    adapter has read them (`enforce`), the shipped table until then."""
    return _IN_FORCE.policy or shipped()


def enforce(policy: Policy, changes: str) -> None:
    """Follow `policy` from now on in this process; `changes` identifies the administrator's rows in it."""
    _IN_FORCE.policy, _IN_FORCE.changes = policy, changes


def stamp() -> list[object]:
    """What identifies the policy in force (the shipped table's size, modification time and inode, and the
    administrator's rows), for copies of values derived from it, such as a prepared table's priorities."""
    info = os.stat(app_root() / "lookups" / POLICY_FILE)
    return [info.st_size, info.st_mtime_ns, info.st_ino, _IN_FORCE.changes]
