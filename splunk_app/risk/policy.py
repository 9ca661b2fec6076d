"""The risk policy: what a SAFE grade (and a place on the watch list) means for the SOC.

One table, `lookups/mimecast_risk_policy.csv`, read here and by every shipped search (through the macro
`mimecast_awareness_risk_policy`), so Python and SPL cannot disagree about a user: for each grade and
watch-list status, the grade's rank (worse grades higher), Enterprise Security's identity priority, the ES
risk score and whether the user counts as risky. A grade the table does not name, or no grade, follows the
row `unknown`. An administrator may change the table; both sides follow.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

POLICY_FILE = "mimecast_risk_policy.csv"
COLUMNS = ("grade", "watchlist", "rank", "priority", "risk_score", "risky")
# Columns added later: a table edited before they existed still reads, and scores 0 there, as the SPL does
# (the detections take a missing score as 0).
SCORES_ADDED = ("change_risk_score", "phish_risk_score")
UNKNOWN = "unknown"
PRIORITIES = ("unknown", "low", "medium", "high", "critical")  # ES's identity priorities
MAX_ROWS = 100
TRUE_WORDS = ("true", "1", "yes")


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

    def __init__(self, rules: dict[tuple[str, bool], Rule]) -> None:
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
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [column for column in COLUMNS if column not in (reader.fieldnames or ())]
            if missing:
                raise PolicyError(f"{POLICY_FILE} has no {', '.join(missing)} column")
            rules: dict[tuple[str, bool], Rule] = {}
            for number, row in enumerate(reader, start=2):
                if number > MAX_ROWS:
                    raise PolicyError(f"{POLICY_FILE} has more than {MAX_ROWS} rows")
                key, rule = _rule(row, number)
                if key in rules:
                    raise PolicyError(
                        f"{POLICY_FILE} row {number}: a second row for {key[0]} {_listed(key[1])}"
                    )
                rules[key] = rule
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise PolicyError(
            f"cannot read {POLICY_FILE} ({type(err).__name__}); reinstall the app's lookups"
        ) from err
    _check_complete(rules)
    return Policy(rules)


def _rule(row: dict[str, str], number: int) -> tuple[tuple[str, bool], Rule]:
    grade = (row.get("grade") or "").strip().upper()
    listed = (row.get("watchlist") or "").strip().lower()
    priority = (row.get("priority") or "").strip().lower()
    risky = (row.get("risky") or "").strip().lower()
    where = f"{POLICY_FILE} row {number}"
    if not grade or len(grade) > 16:
        raise PolicyError(f"{where}: grade must be a short name such as A, or unknown")
    if listed not in ("true", "false") or risky not in ("true", "false"):
        raise PolicyError(f"{where}: watchlist and risky must be true or false")
    if priority not in PRIORITIES:
        raise PolicyError(f"{where}: priority must be one of {', '.join(PRIORITIES)}")
    try:
        rank, score = int(row.get("rank") or ""), int(row.get("risk_score") or "")
        added = [int((row.get(column) or "0").strip()) for column in SCORES_ADDED]
    except ValueError:
        raise PolicyError(f"{where}: rank and the risk scores must be whole numbers") from None
    if not (0 <= rank <= 100 and all(0 <= value <= 1000 for value in (score, *added))):
        raise PolicyError(f"{where}: rank must be 0 to 100 and the risk scores 0 to 1000")
    return (grade, listed == "true"), Rule(rank, priority, score, risky == "true", *added)


def _check_complete(rules: dict[tuple[str, bool], Rule]) -> None:
    for grade in {grade for grade, _listed in rules} | {UNKNOWN.upper()}:
        pair = [rules.get((grade, listed)) for listed in (False, True)]
        if None in pair:
            absent = [_listed(listed) for listed, rule in zip((False, True), pair) if rule is None]
            raise PolicyError(
                f"{POLICY_FILE} needs a row for {grade.lower() if grade == 'UNKNOWN' else grade} "
                f"{' and '.join(absent)}"
            )
        off, on = pair
        if off is not None and on is not None and (off.rank, off.priority) != (on.rank, on.priority):
            raise PolicyError(f"{POLICY_FILE}: grade {grade} has another rank or priority on the watch list")


def _listed(listed: bool) -> str:
    return "on the watch list" if listed else "off the watch list"


@lru_cache(maxsize=1)
def shipped() -> Policy:
    """The app's own policy table, read once per process."""
    return read_policy(app_root() / "lookups" / POLICY_FILE)


def stamp() -> list[int]:
    """What identifies the shipped policy table's content (size, modification time, inode), for copies of
    values derived from it, such as a prepared risk table's priorities."""
    info = os.stat(app_root() / "lookups" / POLICY_FILE)
    return [info.st_size, info.st_mtime_ns, info.st_ino]
