"""Which users exist in which generation, without a list of them.

A user is an integer id. Ids 0..users-1 exist from generation 0; each `advance` removes some ids, marks some
as changed (their state is re-derived from the new generation) and appends new ids. Only those edits are
stored, so a million-user tenant costs a few tuples, and position <-> id is a binary search.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from devkit.simulator.dice import Dice


@dataclass(frozen=True)
class Population:
    seed: int
    initial: int
    generation: int = 0
    created: int = -1
    removed: tuple[int, ...] = field(default=(), repr=False)
    batches: tuple[tuple[int, int], ...] = ()
    changes: Mapping[int, tuple[int, ...]] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    _shifted: tuple[int, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.created < 0:
            object.__setattr__(self, "created", self.initial)
            object.__setattr__(self, "batches", ((0, 0),))
        object.__setattr__(self, "_shifted", tuple(r - j for j, r in enumerate(self.removed)))

    @property
    def count(self) -> int:
        return self.created - len(self.removed)

    def id_at(self, position: int) -> int:
        """The id of the user at this position (0-based) of the current list."""
        return position + bisect.bisect_right(self._shifted, position)

    def position_of(self, user_id: int) -> int | None:
        """Where a user is in the current list, or None if it never existed or has left."""
        if not 0 <= user_id < self.created:
            return None
        at = bisect.bisect_left(self.removed, user_id)
        if at < len(self.removed) and self.removed[at] == user_id:
            return None
        return user_id - at

    def ids(self, start: int = 0) -> Iterator[int]:
        """Current ids in order, from a position on."""
        if start >= self.count:
            return
        user_id = self.id_at(start)
        skip = bisect.bisect_left(self.removed, user_id)
        removed = self.removed
        while user_id < self.created:
            if skip < len(removed) and removed[skip] == user_id:
                skip += 1
            else:
                yield user_id
            user_id += 1

    def versions(self, user_id: int) -> tuple[int, ...]:
        """Generations whose data this user has had: when it joined, then every change."""
        at = bisect.bisect_right(self.batches, (user_id, float("inf"))) - 1
        return (self.batches[at][1], *self.changes.get(user_id, ()))

    def advance(self, changed: int = 0, removed: int = 0, added: int = 0) -> Population:
        """The next generation: `removed` users leave, `changed` others change, `added` new ones join."""
        generation = self.generation + 1
        picks = Dice(self.seed, "advance", generation).distinct(removed + changed, self.count)
        gone = {self.id_at(position) for position in picks[:removed]}
        changes = dict(self.changes)
        for position in picks[removed:]:
            user_id = self.id_at(position)
            changes[user_id] = (*changes.get(user_id, ()), generation)
        for user_id in gone:
            changes.pop(user_id, None)
        batches = (*self.batches, (self.created, generation)) if added else self.batches
        return Population(
            seed=self.seed,
            initial=self.initial,
            generation=generation,
            created=self.created + added,
            removed=tuple(sorted({*self.removed, *gone})),
            batches=batches,
            changes=MappingProxyType(changes),
        )
