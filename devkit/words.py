"""Counts in words for the lines the shell user reads: "1 event", "2,000 events", never "1 events"."""

from __future__ import annotations


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """`number` with `noun`, in the plural (`plural`, or the noun plus s) unless it is exactly one."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"
