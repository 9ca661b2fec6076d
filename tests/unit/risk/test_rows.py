"""The lean row path: `__mv_` encoding and the columns it appends or replaces."""

from __future__ import annotations

import csv
import io

import pytest

from splunk_app.risk.rows import added_columns, decode_mv, encode_mv, enrich_rows, lines
from splunk_app.risk.table import table_from_rows


@pytest.mark.parametrize("values", [["a"], ["a", "b"], ["x$;y", "$", "", "a$$b$"], ["über", "日本", "😀"]])
def test_mv_values_round_trip(values):
    assert decode_mv(encode_mv(values)) == values


@pytest.mark.parametrize("text", ["", "a", "a\n", "a\r\nb", "a\n\nb\n", "x\u2028y\n", "\n"])
def test_lines_split_as_a_stringio_does(text):
    assert list(lines(text)) == list(io.StringIO(text))


def _rows(text: str) -> list[list[str]]:
    return list(
        enrich_rows(
            csv.reader(lines(text)),
            table_from_rows([{"email": "a@x.com", "safe_grade": "B"}]),
            ("user",),
            False,
            "mc_",
        )
    )


def test_columns_are_appended_and_a_previous_runs_are_replaced():
    header, row = _rows("user,mc_safe_grade,__mv_mc_identity,__mv_user,other\na@x.com,Z,$q$;$r$,,1\n")
    assert header == ["user", "__mv_user", "other", *added_columns("mc_")]
    assert row[:3] == ["a@x.com", "", "1"]
    assert dict(zip(header, row))["mc_safe_grade"] == "B"
    assert len(row) == len(header)


def test_a_multivalue_user_gets_both_a_plain_and_an_mv_cell():
    header, row = _rows('user,__mv_user\n"a@x.com\nb@x.com",$a@x.com$;$b@x.com$\n')
    cells = dict(zip(header, row))
    assert cells["mc_identity"] == "a@x.com\nb@x.com"
    assert cells["__mv_mc_identity"] == "$a@x.com$;$b@x.com$"
    assert cells["__mv_mc_grades"] == "$B$;$unknown$"


def test_an_empty_body_gives_nothing():
    assert _rows("") == []
