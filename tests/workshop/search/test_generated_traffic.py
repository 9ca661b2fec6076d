"""mimecastrisk over generated traffic: every identity form, recipient lists, fields that appear in later
chunks, several fields, the prefix, a CSV lookup in the app's folder, and every way it must refuse."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest

from devkit import chunked
from devkit.splunkd import SplunkdStandIn
from splunk_app.risk.table import COLLECTION

from .harness import ADDED, SCRIPT, documents, environment, exchange, only_error, pointed_at, run, write_table


def _risk(record: dict, prefix: str = "mimecast_") -> dict:
    return {name: record[prefix + name] for name in ADDED}


def _user(identity, grade, watchlist="false", count="0", department="", priority="", updated="", parts=""):
    """The added fields of one known user, matched by email (parts: human_error, engagement, knowledge,
    sentiment)."""
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
        "match": "email",
    }


ALICE = _user("alice@example.com", "A", "false", "0", "Finance", "low", "1763895600", "ABAA")
BOB = _user("bob@example.com", "F", "true", "4", "Sales", "critical", "1763895601", "FDFC")
CAROL = _user("carol@example.com", "C", "false", "0", "Legal", "high", "1763895602", "CCBD")
DAVE = _user("dave@example.com", "B", "true", "1", "Support", "medium", "1763895603", "BACB")
ERIN = _user("erin@example.com", "D", "false", "0", "HR", "critical", "1763895604", "DDDD")
NONE = {
    **dict.fromkeys(ADDED, ""),
    "safe_grade": "unknown",
    "watchlist": "false",
    "priority": "unknown",
    "match": "none",
}
AMBIGUOUS = {**NONE, "match": "ambiguous"}


def _by(how: str, user: dict) -> dict:
    return {**user, "match": how}


def _several(worst: dict, identities: list[str], grades: list[str], watchlist: str, count: str) -> dict:
    return {
        **worst,
        "identity": identities,
        "grades": grades,
        "watchlist": watchlist,
        "watchlist_count": count,
    }


CHUNKS = [
    [  # only `user`, in the forms logs write it, with no option
        ({"_raw": "a", "user": "alice@example.com"}, ALICE),
        ({"_raw": "b", "user": "ALICE@Example.COM"}, ALICE),
        ({"_raw": "c", "user": "CORP\\bob"}, _by("local_part", BOB)),
        ({"_raw": "d", "user": "  Bob "}, _by("local_part", BOB)),
        ({"_raw": "e", "user": "carol@corp.local"}, NONE),  # not one of the company's domains
        ({"_raw": "f", "user": "nobody@example.com"}, NONE),
        ({"_raw": "g", "user": "CORP\\Nobody"}, NONE),
        ({"_raw": "h"}, NONE),
        ({"_raw": "h2", "user": "CORP\\frank"}, AMBIGUOUS),  # frank@example.com and frank@subsidiary.example
        ({"_raw": "h3", "user": '"Carol C." <Carol@Example.com>'}, CAROL),
        ({"_raw": "h4", "user": "NT AUTHORITY\\SYSTEM"}, NONE),
        ({"_raw": "h5", "user": "CORP\\WS-042$"}, NONE),
        ({"_raw": "h6", "user": "-"}, NONE),
    ],
    [  # src_user and recipient appear only now
        (
            {"_raw": "i", "recipient": ["bob@example.com", "Alice@example.com", "stranger@example.org"]},
            _several(BOB, ["bob@example.com", "alice@example.com"], ["F", "A"], "true", "4"),
        ),
        (
            {"_raw": "j", "recipient": "Dave Smith <DAVE@example.com>; erin@example.com, dave@example.com"},
            _several(ERIN, ["dave@example.com", "erin@example.com"], ["B", "D"], "true", "1"),
        ),
        ({"_raw": "k", "src_user": "CORP\\erin", "recipient": "alice@example.com"}, ALICE),  # recipient first
        ({"_raw": "l", "user": "carol", "src_user": "erin@example.com"}, _by("local_part", CAROL)),
        ({"_raw": "m", "recipient": ["nobody@example.com", "ghost@example.com"]}, NONE),
        ({"_raw": "m2", "recipient": "frank; stranger@example.org"}, AMBIGUOUS),
        ({"_raw": "m3", "recipient": "stranger@example.org, carol"}, _by("local_part", CAROL)),
        ({"_raw": "n", "recipient": ["bob@example.com", "BOB@example.com"]}, BOB),
        ({"_raw": "n2", "src_user": "ceo@attacker.example", "recipient": "erin@example.com"}, ERIN),
        ({"_raw": "n3", "src_user": "carol@attacker.example"}, NONE),  # an outsider picks nobody
        ({"_raw": "n4", "recipient": "Doe, Carol <dave@example.com>"}, DAVE),  # "Carol" is a display name
        ({"_raw": "n5", "recipient": "\u212aarol@example.com, ｃａｒｏｌ"}, NONE),  # look-alikes of carol
    ],
    [  # sender and email only
        ({"_raw": "o", "sender": "dave@example.com", "email": "alice@example.com"}, DAVE),
        ({"_raw": "o2", "sender": "alice@partner.example", "email": "erin@example.com"}, NONE),  # the sender
        ({"_raw": "p", "email": "Erin@Example.com"}, ERIN),
        ({"_raw": "q", "sender": "", "email": ""}, NONE),
    ],
    [],  # the finished chunk may carry no records
]


def test_every_identity_form_across_chunks(table):
    result = run(exchange([], [[event for event, _ in chunk] for chunk in CHUNKS]), table)

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
    result = run(exchange(["field=sender", "field=recipient"], [events]), table)

    first, second = result.records
    assert _risk(first) == _several(
        CAROL, ["alice@example.com", "dave@example.com", "carol@example.com"], ["A", "B", "C"], "true", "1"
    )
    assert _risk(second) == ERIN  # `user` was not asked for


def test_prefix_and_columns_of_an_earlier_run_are_replaced(table):
    first = run(exchange([], [[{"user": "alice@example.com"}, {"user": ["bob", "erin"]}]]), table)
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
    ("args", "says"),
    [
        (["prefix=risk-"], "prefix='risk-' is not a field-name prefix"),
        (["prefix="], "prefix='' is not a field-name prefix"),
        (["default_domain=example..com"], "default_domain='example..com' is not a domain"),
        (["field="], "field= needs a field name"),
    ],
)
def test_bad_arguments_stop_with_one_clear_message(table, args, says):
    assert says in only_error(run(exchange(args, [[{"user": "bob"}]]), table))


@pytest.mark.parametrize(
    ("table_text", "says"),
    [
        (None, "lookup='risk.csv': there is no such file"),
        (b"user,grade\nbob,F\n", "the risk table lookup=risk.csv has no 'email' column"),
        (b"email,safe_grade\n\xff\xfe,F\n", "cannot read the risk table lookup=risk.csv: it is not UTF-8"),
    ],
)
def test_a_lookup_table_that_cannot_be_used_stops_with_one_clear_message_without_paths(app, table_text, says):
    if table_text is not None:
        (app / "lookups" / "risk.csv").write_bytes(table_text)
    text = only_error(
        run(exchange(["lookup=risk.csv"], [[{"user": "bob"}]]), None, app / "bin" / SCRIPT.name)
    )
    assert says in text
    assert str(app) not in text and "/" not in text


def test_an_unknown_option_is_named(table):
    result = run(exchange(["colour=red"], [[{"user": "bob"}]]), table)
    assert result.returncode != 0
    assert result.messages == [("ERROR", "Unrecognized option: colour=red")]
    assert "Traceback" not in result.stderr


@pytest.mark.timeout(60)
def test_each_chunk_is_answered_before_the_next_is_sent(table):
    """splunkd waits for each answer before it sends the next chunk: nothing may wait for the end of input."""
    with SplunkdStandIn() as splunkd:
        splunkd.create_collection(COLLECTION, documents(table))
        process = subprocess.Popen(
            [sys.executable, str(SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=environment()
        )
        answers = chunked.iter_chunks(process.stdout)
        try:
            process.stdin.write(pointed_at(chunked.getinfo([]), splunkd))
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


def test_aliases_in_the_apps_lookups_folder_match_and_a_bad_row_is_one_warning(app):
    write_table(app / "lookups" / "mimecast_user_risk.csv")
    (app / "lookups" / "mimecast_identity_aliases.csv").write_text(
        "alias,email\nCORP\\hw0,erin@example.com\nnot an address,\nSUBSID,@subsidiary.example\n",
        encoding="utf-8",
    )
    events = [{"user": "corp\\HW0"}, {"user": "SUBSID\\frank"}, {"user": "CORP\\frank"}, {"user": "hw0"}]
    data = exchange(["lookup=mimecast_user_risk.csv"], [events[:2], events[2:]])
    result = run(data, None, app / "bin" / SCRIPT.name)

    assert result.returncode == 0, result.stderr
    assert [(r["mimecast_identity"], r["mimecast_match"]) for r in result.records] == [
        ("erin@example.com", "alias"),
        ("frank@subsidiary.example", "alias"),  # the domain alias settles which frank
        ("", "ambiguous"),
        ("", "none"),  # the alias is CORP\hw0 only
    ]
    assert result.messages == [
        (
            "WARN",
            "mimecastrisk: mimecast_identity_aliases.csv row 3: it needs both an alias and an email; "
            "the row is ignored",
        )
    ]


def test_a_huge_field_passes_through_and_a_short_row_is_completed_with_one_warning(table):
    huge = "x" * (11 * 1024 * 1024)
    body = f'user,_raw,other\nCORP\\bob,"{huge}",1\ncarol\n{huge[:600]}@example.com,2,3\ndave@example.com\n'
    data = chunked.getinfo([]) + chunked.encode_chunk({"action": "execute", "finished": True}, body)
    result = run(data, table)
    limit = csv.field_size_limit(len(huge) + 1)  # the test's own reader
    try:
        records = result.records
    finally:
        csv.field_size_limit(limit)

    assert result.returncode == 0, result.stderr
    first, short, long_user, again = records
    assert (first["_raw"] == huge, first["mimecast_safe_grade"]) == (True, "F")
    assert (short["user"], short["_raw"], short["other"], short["mimecast_safe_grade"]) == (
        "carol",
        "",
        "",
        "C",
    )
    assert (long_user["mimecast_safe_grade"], long_user["mimecast_match"]) == ("unknown", "none")
    assert again["mimecast_safe_grade"] == "B"
    (message,) = result.messages
    assert message == (
        "WARN",
        "mimecastrisk: a record had fewer fields than its chunk's header names; the missing ones were left "
        "empty",
    )
