"""The pure parts: hashed dice, dates as the API writes them, and data pinned so every Python agrees."""

from __future__ import annotations

import datetime

import pytest

from devkit.simulator.dice import Dice
from devkit.simulator.people import Module, derive, find
from devkit.simulator.population import Population
from devkit.simulator.records import Style, date, optional_date, safe_score


def test_dice_values_are_pinned():
    dice = Dice(7, "golden")
    assert [dice.below(1000) for _ in range(5)] == [626, 765, 433, 950, 264]
    assert dice.below(10**12) == 87121874474


def test_dice_distinct_and_weighted():
    dice = Dice(1, "x")
    picks = dice.distinct(10, 12)
    assert len(set(picks)) == 10 and all(0 <= p < 12 for p in picks)
    assert sorted(Dice(1, "y").distinct(50, 5)) == [0, 1, 2, 3, 4]
    counts = [0, 0, 0]
    for n in range(3000):
        counts[Dice(n).weighted((1, 0, 2))] += 1
    assert counts[1] == 0 and 800 < counts[0] < 1200


def test_a_user_is_pinned():
    user = derive(Population(seed=7, initial=10), 3)
    assert safe_score(user, Style()) == {
        "emailAddress": "xenia.adams.3@simulated.example",
        "name": "Xenia Adams",
        "department": "Finance",
        "risk": "F",
        "humanError": "F",
        "sentiment": "F",
        "engagement": "F",
        "knowledge": "F",
        "userState": "ACTIVE",
    }
    assert user.modules[0] == Module(
        index=17, status="Correct", sent=1773981184, viewed=1774647931, ack=True, answer=1
    )


@pytest.mark.parametrize("when", [0, 1641943920, 1718100076, 1793491199])
def test_dates_match_iso_format(when):
    iso = datetime.datetime.fromtimestamp(when, datetime.timezone.utc).isoformat()
    assert date(when, Style()) == iso
    odd = Style(odd_dates=True)
    assert date(when, odd, salt=0) == iso
    assert date(when, odd, salt=1) == iso[:-6] + "+0000"


def test_never_is_null_or_1970():
    assert optional_date(None, Style()) is None
    assert optional_date(None, Style(odd_dates=True)) == "1970-01-01T00:00:00+00:00"


def test_find_by_email_in_any_case():
    population = Population(seed=7, initial=10)
    assert find(population, "XENIA.ADAMS.3@simulated.EXAMPLE").id == 3
    assert find(population, "someone.else.3@simulated.example") is None
    assert find(population, "xenia.adams.30@simulated.example") is None
    assert find(population, "no-number@simulated.example") is None
    assert find(population.advance(removed=10), "xenia.adams.3@simulated.example") is None
