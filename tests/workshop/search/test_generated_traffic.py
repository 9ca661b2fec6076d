"""mimecastrisk over generated traffic: every identity form, recipient lists, fields that appear in later
chunks, several fields, the prefix, a CSV lookup in the app's folder, and every way it must refuse."""

from __future__ import annotations

import subprocess
import sys

import pytest

from devkit import chunked

from .harness import ADDED, SCRIPT, environment, exchange, only_error, run, write_table

DOMAIN = "default_domain=example.com"


def _risk(record: dict, prefix: str = "mimecast_") -> dict:
    return {name: record[prefix + name] for name in ADDED}


def _user(identity, grade, watchlist="false", count="0", department="", priority="", updated="", parts=""):
    """The added fields of one known user (parts: human_error, engagement, knowledge, sentiment)."""
    human, engagement, knowledge, sentiment = parts
    return {
        "safe_grade": grade,
        "human_error": human,
        "engagement": engagement,
        "knowledge": knowledge,
        "sentiment": sentiment,
        "watchlist": watchlist,
        "watchlist_count": count,
        "department": department,
        "priority": priority,
        "risk_updated": updated,
        "identity": identity,
        "grades": grade,
    }


ALICE = _user("alice@example.com", "A", "false", "0", "Finance", "low", "1763895600", "ABAA")
BOB = _user("bob@example.com", "F", "true", "4", "Sales", "critical", "1763895601", "FDFC")
CAROL = _user("carol@example.com", "C", "false", "0", "Legal", "high", "1763895602", "CCBD")
DAVE = _user("dave@example.com", "B", "true", "1", "Support", "medium", "1763895603", "BACB")
ERIN = _user("erin@example.com", "D", "false", "0", "HR", "critical", "1763895604", "DDDD")
NONE = {**dict.fromkeys(ADDED, ""), "safe_grade": "unknown", "watchlist": "false", "priority": "unknown"}


def _unknown(identity: str) -> dict:
    return {**NONE, "identity": identity, "grades": "unknown"}


def _several(worst: dict, identities: list[str], grades: list[str], watchlist: str, count: str) -> dict:
    return {
        **worst,
        "identity": identities,
        "grades": grades,
        "watchlist": watchlist,
        "watchlist_count": count,
    }


CHUNKS = [
    [  # only `user`, in the forms logs write it
        ({"_raw": "a", "user": "alice@example.com"}, ALICE),
        ({"_raw": "b", "user": "ALICE@Example.COM"}, ALICE),
        ({"_raw": "c", "user": "CORP\\bob"}, BOB),
        ({"_raw": "d", "user": "  Bob "}, BOB),
        ({"_raw": "e", "user": "carol@corp.local"}, CAROL),
        ({"_raw": "f", "user": "nobody@example.com"}, _unknown("nobody@example.com")),
        ({"_raw": "g", "user": "CORP\\Nobody"}, _unknown("corp\\nobody")),
        ({"_raw": "h"}, NONE),
    ],
    [  # src_user and recipient appear only now
        (
            {"_raw": "i", "recipient": ["bob@example.com", "Alice@example.com", "stranger@example.org"]},
            _several(
                BOB,
                ["bob@example.com", "alice@example.com", "stranger@example.org"],
                ["F", "A", "unknown"],
                "true",
                "4",
            ),
        ),
        (
            {"_raw": "j", "recipient": "Dave Smith <DAVE@example.com>; erin@example.com, dave@example.com"},
            _several(ERIN, ["dave@example.com", "erin@example.com"], ["B", "D"], "true", "1"),
        ),
        ({"_raw": "k", "src_user": "CORP\\erin", "recipient": "alice@example.com"}, ERIN),
        ({"_raw": "l", "user": "carol", "src_user": "erin@example.com"}, CAROL),
        (
            {"_raw": "m", "recipient": ["nobody@example.com", "ghost@example.com"]},
            _several(NONE, ["nobody@example.com", "ghost@example.com"], ["unknown", "unknown"], "false", ""),
        ),
        ({"_raw": "n", "recipient": ["bob@example.com", "BOB@example.com"]}, BOB),
    ],
    [  # sender and email only
        ({"_raw": "o", "sender": "dave@example.com", "email": "alice@example.com"}, DAVE),
        ({"_raw": "p", "email": "Erin@Example.com"}, ERIN),
        ({"_raw": "q", "sender": "", "email": ""}, NONE),
    ],
    [],  # the finished chunk may carry no records
]


def test_every_identity_form_across_chunks(table):
    result = run(exchange([DOMAIN], [[event for event, _ in chunk] for chunk in CHUNKS]), table)

    assert result.returncode == 0, result.stderr
    assert result.messages == []
    answers = result.chunks[1:]
    assert [answer.metadata.get("finished", False) for answer in answers] == [False, False, False, True]
    added = [f"mimecast_{name}" for name in ADDED] + ["__mv_mimecast_identity", "__mv_mimecast_grades"]
    for answer in answers[:3]:
        assert chunked.columns_of(answer.body)[-len(added) :] == added  # the same fields in every chunk
    expected = [(event, risk) for chunk in CHUNKS for event, risk in chunk]
    back = result.records
    assert len(back) == len(expected)
    for (event, risk), record in zip(expected, back):
        assert record["_raw"] == event["_raw"]  # in order
        assert _risk(record) == risk, event


def test_several_fields_are_all_looked_up(table):
    events = [
        {"sender": "alice@example.com", "recipient": ["dave@example.com", "carol@example.com"]},
        {"sender": "erin@example.com", "user": "bob@example.com"},
    ]
    result = run(exchange(["field=sender", "field=recipient", DOMAIN], [events]), table)

    first, second = result.records
    assert _risk(first) == _several(
        CAROL, ["alice@example.com", "dave@example.com", "carol@example.com"], ["A", "B", "C"], "true", "1"
    )
    assert _risk(second) == ERIN  # `user` was not asked for


def test_prefix_and_columns_of_an_earlier_run_are_replaced(table):
    first = run(exchange([DOMAIN], [[{"user": "alice@example.com"}, {"user": ["bob", "erin"]}]]), table)
    again = run(
        exchange(["field=user"], [[{**record, "user": "carol@example.com"} for record in first.records]]),
        table,
    )
    header = chunked.columns_of(again.chunks[1].body)
    assert len(header) == len(set(header))
    assert [_risk(record) for record in again.records] == [CAROL, CAROL]

    short = run(exchange(["prefix=mc_"], [[{"user": "dave@example.com"}]]), table)
    assert _risk(short.records[0], "mc_") == DAVE
    assert not any(name.startswith("mimecast_") for name in short.records[0])


def test_a_lookup_file_in_the_apps_folder_streams_on_the_indexers(app):
    write_table(app / "lookups" / "mimecast_user_risk.csv")
    data = exchange(["lookup=mimecast_user_risk.csv"], [[{"user": "bob@example.com"}]])
    result = run(data, None, app / "bin" / "mimecastrisk.py")
    assert result.returncode == 0, result.stderr
    assert result.info == {"type": "streaming"}
    assert _risk(result.records[0]) == BOB


@pytest.mark.parametrize(
    "name", ["../bin/mimecastrisk.py", "../outside.csv", "/etc/passwd", "sub/../../outside.csv", "."]
)
def test_a_lookup_name_that_leaves_the_folder_is_refused(app, name):
    write_table(app / "outside.csv")
    result = run(
        exchange([f"lookup={name}"], [[{"user": "bob@example.com"}]]), None, app / "bin" / "mimecastrisk.py"
    )
    assert "is not a file name in the app's lookups folder" in only_error(result)


@pytest.mark.parametrize(
    ("args", "table_text", "says"),
    [
        (["prefix=risk-"], None, "prefix='risk-' is not a field-name prefix"),
        (["prefix="], None, "prefix='' is not a field-name prefix"),
        (["default_domain=example..com"], None, "default_domain='example..com' is not a domain"),
        (["field="], None, "field= needs a field name"),
        (["lookup=missing.csv"], None, "lookup='missing.csv': there is no such file"),
        ([], "user,grade\nbob,F\n", "has no 'email' column"),
        ([], b"email,safe_grade\n\xff\xfe,F\n", "cannot read the risk table"),
    ],
)
def test_bad_arguments_and_tables_stop_with_one_clear_message(tmp_path, args, table_text, says):
    table = tmp_path / "risk.csv"
    if table_text is not None:
        table.write_bytes(table_text if isinstance(table_text, bytes) else table_text.encode())
    else:
        write_table(table)
    assert says in only_error(run(exchange(args, [[{"user": "bob"}]]), table))


def test_a_missing_table_file_stops_with_one_clear_message(tmp_path):
    text = only_error(run(exchange([], [[{"user": "bob"}]]), tmp_path / "gone.csv"))
    assert "cannot read the risk table" in text and "gone.csv" in text


def test_an_unknown_option_is_named(table):
    result = run(exchange(["colour=red"], [[{"user": "bob"}]]), table)
    assert result.returncode != 0
    assert result.messages == [("ERROR", "Unrecognized option: colour=red")]
    assert "Traceback" not in result.stderr


@pytest.mark.timeout(60)
def test_each_chunk_is_answered_before_the_next_is_sent(table):
    """splunkd waits for each answer before it sends the next chunk: nothing may wait for the end of input."""
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=environment(table)
    )
    answers = chunked.iter_chunks(process.stdout)
    try:
        process.stdin.write(chunked.getinfo([DOMAIN]))
        process.stdin.flush()
        assert next(answers).metadata == {"type": "stateful"}
        for number, user in enumerate(["CORP\\bob", "carol", "dave@example.com"]):
            process.stdin.write(chunked.execute([{"user": user}], finished=number == 2))
            process.stdin.flush()
            (record,) = chunked.records_of(next(answers).body)
            assert record["mimecast_safe_grade"] == "FCB"[number]
        process.stdin.close()
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
        process.wait()
