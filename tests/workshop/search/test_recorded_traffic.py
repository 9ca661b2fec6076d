"""mimecastrisk over traffic a real splunkd sent (recorded by splunk-sdk-python's authors)."""

from __future__ import annotations

import gzip

from devkit import chunked

from .harness import ADDED, FIXTURES, recorded, run, write_table


def _sent(name: str) -> tuple[list[str], list[dict]]:
    """The columns and records splunkd sent in the recording's execute chunk."""
    _getinfo, execute = chunked.read_chunks(gzip.decompress((FIXTURES / name).read_bytes()))
    return chunked.columns_of(execute.body), chunked.records_of(execute.body)


def test_tweets_come_back_in_order_with_multibyte_text_and_mv_columns_intact(table):
    columns, sent = _sent("countmatches.input.gz")
    result = run(recorded("countmatches.input.gz", ["default_domain=example.com"]), table)

    assert result.returncode == 0, result.stderr
    assert result.info == {"type": "stateful"}  # without lookup=: runs on the search head, by the KV store
    assert result.messages == []
    (answer,) = result.chunks[1:]
    assert answer.metadata == {"finished": True}
    header = chunked.columns_of(answer.body)
    assert header[: len(columns)] == columns  # every field and its __mv_ twin, as splunkd sent them
    assert header[len(columns) :] == [
        *(f"mimecast_{name}" for name in ADDED),
        "__mv_mimecast_identity",
        "__mv_mimecast_grades",
    ]
    back = result.records
    assert len(back) == len(sent) == 500
    for before, after in zip(sent, back):
        assert {name: after[name] for name in before} == before
        assert after["mimecast_safe_grade"] == "unknown"  # tweets have no user field
        assert after["mimecast_watchlist"] == "false"
    assert any("\n" in record["text"] for record in back)
    assert any(ord(char) > 0xFFFF for record in back for char in record["text"])  # emoji survive


def test_text_is_encoded_as_the_sdk_encoded_it_for_splunkd(table):
    """The recording's answer (the SDK's record writer) and ours decode to the same text."""
    sdk = chunked.read_chunks((FIXTURES / "countmatches.output").read_bytes())
    theirs = [record["text"] for chunk in sdk[1:] for record in chunked.records_of(chunk.body)]
    result = run(recorded("countmatches.input.gz", []), table)
    assert [record["text"] for record in result.records] == theirs


def test_fifty_thousand_real_events_enriched_from_a_field_the_recording_has(tmp_path):
    columns, sent = _sent("sum.map.input.gz")
    users = [("random@example.com", "IT", "F", "F", "F", "D", "D", True, 7, 1763895600)]
    table = write_table(tmp_path / "risk.csv", users)
    result = run(recorded("sum.map.input.gz", ["field=sourcetype", "default_domain=example.com"]), table)

    assert result.returncode == 0, result.stderr
    back = result.records
    assert len(back) == len(sent) == 50_000
    assert chunked.columns_of(result.chunks[1].body)[: len(columns)] == columns
    for before, after in zip(sent, back):
        assert {name: after[name] for name in before} == before
    graded = [record for record in back if record["mimecast_identity"] == "random@example.com"]
    assert len(graded) == sum(record["sourcetype"] == "random" for record in sent) > 0
    shown = {
        (
            r["mimecast_safe_grade"],
            r["mimecast_watchlist"],
            r["mimecast_watchlist_count"],
            r["mimecast_priority"],
            r["mimecast_department"],
        )
        for r in graded
    }
    assert shown == {("F", "true", "7", "critical", "IT")}
