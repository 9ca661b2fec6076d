"""Log lines from hostile values: every value from outside is quoted and escaped, so that Splunk's automatic
key=value extraction (KV_MODE=auto, which reads no escapes, and auto_escaped, which does) reads the fields
as written, no more, and the value back losslessly; and no value starts a line of its own."""

from __future__ import annotations

import re

import pytest

from splunk_app.splunk import logs

# How automatic extraction reads a line: a quoted value runs to the next quote (auto), or to the next quote
# not escaped by a backslash (auto_escaped).
READERS = {
    "auto": re.compile(r'(\w+)=("[^"]*"|[^\s"]+)'),
    "auto_escaped": re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s"]+)'),
}
HOSTILE = [
    'x" outcome=added y="',
    "x\noutcome=added",
    "x\r\n2026-12-05 08:00:00,000 INFO pid=1 | mc_summary=action outcome=ok",
    "trailing backslash\\",
    'back\\" outcome=added',
    "x outcome=added",
    "line\u2028separator\x85next",
    "tab\tand\x1b[31mcolour",
    "mc_user=boss@example.com",
    "",
]


def unescaped(text: str) -> str:
    """What an analyst reads back from an escaped value."""
    return re.sub(
        r"\\x([0-9a-f]{2})|\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1) or m.group(2), 16)), text
    )


def read(line: str, reader: str) -> list[tuple[str, str]]:
    return [
        (key, value[1:-1] if value.startswith('"') else value) for key, value in READERS[reader].findall(line)
    ]


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_value_is_one_field_read_back_as_it_was(value: str, reader: str) -> None:
    line = "action=add " + logs.pairs(search_name=value, rid=value, mc_group=value) + " outcome=skipped"

    fields = read(line, reader)

    assert [key for key, _ in fields] == ["action", "search_name", "rid", "mc_group", "outcome"]
    assert [unescaped(text) for _, text in fields[1:4]] == [value] * 3
    assert fields[-1] == ("outcome", "skipped")
    assert len(line.splitlines()) == 1 and "\u2028" not in line and "\x85" not in line


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("value", HOSTILE)
def test_a_summary_line_keeps_its_fields_whatever_a_value_says(value: str, reader: str) -> None:
    line = logs.summary_line("action", search_name=value, outcome="ok", users=3)

    fields = read(line, reader)

    assert [key for key, _ in fields] == ["mc_summary", "search_name", "outcome", "users"]
    assert unescaped(fields[1][1]) == value
    assert fields[2:] == [("outcome", "ok"), ("users", "3")]


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("value", HOSTILE)
def test_free_words_after_the_fields_hold_no_pair_from_a_value(value: str, reader: str) -> None:
    words = logs.prose("Could not act on x@example.com in Mimecast group {group}: for_days='x' is wrong")
    words = words.format(group=logs.escaped(value))

    line = f"action=add outcome=failed | {words}"

    assert read(line, reader)[:2] == [("action", "add"), ("outcome", "failed")]
    assert [key for key, _ in read(line, reader)[2:]] == ["for_days"]  # our own words' pair, no other
    assert unescaped(words).endswith(f"group {value}: for_days='x' is wrong")
    assert len(line.splitlines()) == 1


def test_a_plain_value_reads_plainly() -> None:
    assert logs.pairs(search_name="Risky users who clicked", rid=0, sid=None) == (
        'search_name="Risky users who clicked" rid="0"'
    )
    assert logs.summary_line("input", outcome="success", duration=0.5) == (
        "mc_summary=input outcome=success duration=0.500"
    )
