"""One simulated user, derived on demand from (seed, id, generation).

Identity (name, email, department) depends on the id only, so it never changes; the state (grades, watch
list, modules) depends on the generation in which the user last changed, and each change moves the SAFE
grade, so a test of emit-on-change always has something to see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from devkit.simulator import catalogue as cat
from devkit.simulator.dice import Dice
from devkit.simulator.population import Population

CORRECT, INCORRECT, NOT_WATCHED = "Correct", "Incorrect", "Not Watched"
_EMAIL_ID = re.compile(r"\.(\d+)@")


class Module(NamedTuple):
    """One training module sent to one user."""

    index: int
    status: str
    sent: int
    viewed: int | None
    ack: bool
    answer: int | None


@dataclass
class User:
    """Never mutated; a plain (not frozen) dataclass because thousands are built per page."""

    seed: int
    id: int
    version: int
    email: str
    name: str
    department: str
    office: str
    risk: int
    components: tuple[int, int, int, int]
    flagged: bool  # picked for the watch list (riskier users more often); on it only with a module to watch

    @cached_property
    def modules(self) -> tuple[Module, ...]:
        dice = Dice(self.seed, "modules", self.id, self.version)
        not_watched = 100 + 100 * self.risk
        incorrect = not_watched + 50 + 70 * self.risk
        modules = []
        for index in dice.distinct(2 + dice.below(7), len(cat.MODULES)):
            roll = dice.below(1000)
            status = NOT_WATCHED if roll < not_watched else INCORRECT if roll < incorrect else CORRECT
            sent = cat.ANCHOR - dice.below(365 * cat.DAY)
            correct_answer = cat.MODULES[index][2]
            if status == NOT_WATCHED:
                viewed, ack, answer = None, False, None
            else:
                viewed = sent + 60 + dice.below(14 * cat.DAY)
                ack = dice.chance(0.7)
                answer = correct_answer if status == CORRECT else (correct_answer + dice.below(3)) % 4 + 1
            modules.append(Module(index, status, sent, viewed, ack, answer))
        return tuple(sorted(modules, key=lambda module: module.sent))

    def count(self, status: str) -> int:
        return sum(1 for module in self.modules if module.status == status)

    @property
    def watched(self) -> int:
        return sum(1 for module in self.modules if module.status != NOT_WATCHED)

    @property
    def watchlist_count(self) -> int:
        """The modules on the user's watch list: those not watched yet, for a user picked for the list."""
        return self.count(NOT_WATCHED) if self.flagged else 0

    @property
    def watchlisted(self) -> bool:
        """On the watch list exactly when something is on it, as `get-watchlist-details` lists users."""
        return self.watchlist_count > 0


def _shifted(grade: int) -> int:
    return grade + 1 if grade < len(cat.GRADES) - 1 else grade - 1


def derive(population: Population, user_id: int) -> User:
    """The user with this id as the population's generation sees it (the id must be current)."""
    seed = population.seed
    who = Dice(seed, "who", user_id)
    first, last = who.pick(cat.FIRST_NAMES), who.pick(cat.LAST_NAMES)
    department, office = who.pick(cat.DEPARTMENTS), who.pick(cat.OFFICES)
    risk = -1
    for version in population.versions(user_id):
        state = Dice(seed, "state", user_id, version)
        drawn = state.weighted(cat.GRADE_WEIGHTS)
        risk = _shifted(drawn) if drawn == risk else drawn
    components = (
        min(4, max(0, risk + state.pick((-1, 0, 0, 1)))),
        min(4, max(0, risk + state.pick((-1, 0, 0, 1)))),
        min(4, max(0, risk + state.pick((-1, 0, 0, 1)))),
        min(4, max(0, risk + state.pick((-1, 0, 0, 1)))),
    )
    flagged = state.below(1000) < cat.WATCHLIST_PER_MILLE[risk]
    return User(
        seed=seed,
        id=user_id,
        version=version,
        email=f"{first}.{last}.{user_id}@{cat.DOMAIN}".lower(),
        name=f"{first} {last}",
        department=department,
        office=office,
        risk=risk,
        components=components,
        flagged=flagged,
    )


def find(population: Population, email: str) -> User | None:
    """The current user with this email (any case), or None; the id is part of the address."""
    match = _EMAIL_ID.search(email)
    if not match or population.position_of(int(match.group(1))) is None:
        return None
    user = derive(population, int(match.group(1)))
    return user if user.email == email.strip().lower() else None
