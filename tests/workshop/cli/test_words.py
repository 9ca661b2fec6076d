from __future__ import annotations

import pytest

from devkit.words import counted


@pytest.mark.parametrize(
    ("number", "noun", "plural", "text"),
    [
        (0, "event", None, "0 events"),
        (1, "event", None, "1 event"),
        (2000, "page", None, "2,000 pages"),
        (1, "API request", None, "1 API request"),
        (3, "summary", "summaries", "3 summaries"),
    ],
)
def test_counted(number: int, noun: str, plural: str | None, text: str) -> None:
    assert counted(number, noun, plural) == text
