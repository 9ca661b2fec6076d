"""Seeded pseudo-random choices from a hash, so every value is a pure function of its inputs.

Hashing (seed, kind, index, version) instead of drawing from one shared generator is what lets the tenant
derive user 900,000 without deriving the 899,999 before it, and gives the same data on every Python.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def digest(*parts: object) -> bytes:
    """64 bytes that depend only on the parts."""
    return hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=64).digest()


class Dice:
    """Draws from the digest read as one big integer (mixed-radix); rehashes when it runs low."""

    __slots__ = ("_bytes", "_pool")

    def __init__(self, *parts: object) -> None:
        self._bytes = digest(*parts)
        self._pool = int.from_bytes(self._bytes, "big")

    def below(self, n: int) -> int:
        """An integer in [0, n)."""
        if self._pool < n << 32:
            self._bytes = hashlib.blake2b(self._bytes, digest_size=64).digest()
            self._pool = int.from_bytes(self._bytes, "big")
        self._pool, value = divmod(self._pool, n)
        return value

    def chance(self, probability: float) -> bool:
        return self.below(65536) < probability * 65536

    def pick(self, items: Sequence[T]) -> T:
        return items[self.below(len(items))]

    def weighted(self, weights: Sequence[int]) -> int:
        """Index chosen with the given integer weights."""
        roll = self.below(sum(weights))
        for index, weight in enumerate(weights):
            if roll < weight:
                return index
            roll -= weight
        return len(weights) - 1

    def distinct(self, count: int, n: int) -> list[int]:
        """`count` distinct integers in [0, n), in drawing order."""
        chosen: list[int] = []
        seen: set[int] = set()
        while len(chosen) < min(count, n):
            value = self.below(n)
            if value not in seen:
                seen.add(value)
                chosen.append(value)
        return chosen
