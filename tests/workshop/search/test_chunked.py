"""The SCP v2 driver, checked against what the SDK really sent to splunkd."""

from __future__ import annotations

import pytest

from devkit import chunked

from .harness import FIXTURES


def test_decodes_the_recorded_answer():
    info, answer = chunked.read_chunks((FIXTURES / "countmatches.output").read_bytes())
    assert info.metadata == {"type": "streaming"}
    assert answer.metadata == {"finished": True}
    records = chunked.records_of(answer.body)
    assert len(records) == 500
    assert records[4] == {
        "_serial": "4",
        "_time": "1380899494",
        "text": "@__AmaT  요즘은 곡안쓰시고 귀농하시는군요 ㅋㅋ",
        "word_count": "1",
    }


def test_records_survive_encoding_as_splunkd_writes_them():
    records = [{"a": "plain", "b": ["x", "y$z"], "c": 'q"uote,\nline'}, {"a": "", "d": "later"}]
    chunk = chunked.execute(records, finished=True)
    (decoded,) = chunked.read_chunks(chunk)
    assert decoded.metadata == {"action": "execute", "finished": True}
    assert chunked.columns_of(decoded.body) == ["a", "b", "c", "d", "__mv_a", "__mv_b", "__mv_c", "__mv_d"]
    assert chunked.records_of(decoded.body) == [
        {"a": "plain", "b": ["x", "y$z"], "c": 'q"uote,\nline', "d": ""},
        {"a": "", "b": "", "c": "", "d": "later"},
    ]


def test_with_args_replaces_only_the_arguments():
    recorded = chunked.getinfo(["fieldname=word_count", "text"], sid="42")
    (chunk,) = chunked.read_chunks(chunked.with_args(recorded, ["field=user"]))
    assert chunk.metadata["searchinfo"]["args"] == chunk.metadata["searchinfo"]["raw_args"] == ["field=user"]
    assert chunk.metadata["searchinfo"]["sid"] == "42"


def test_a_broken_header_is_refused():
    with pytest.raises(ValueError, match="not a chunk header"):
        chunked.read_chunks(b"chunked 2.0,1,1\n{}x")
