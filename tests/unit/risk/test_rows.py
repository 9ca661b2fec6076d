"""The lean row path: `__mv_` encoding and the columns it appends or replaces."""

from __future__ import annotations

import csv
import io

import pytest

from splunk_app.risk import rows
from splunk_app.risk.rows import added_columns, decode_mv, encode_mv, enrich_chunk, lines
from splunk_app.risk.table import table_from_rows


@pytest.mark.parametrize("values", [["a"], ["a", "b"], ["x$;y", "$", "", "a$$b$"], ["über", "日本", "😀"]])
def test_mv_values_round_trip(values):
    assert decode_mv(encode_mv(values)) == values


@pytest.mark.parametrize("text", ["", "a", "a\n", "a\r\nb", "a\n\nb\n", "x\u2028y\n", "\n"])
def test_lines_split_as_a_stringio_does(text):
    assert list(lines(text)) == list(io.StringIO(text))


TABLE = table_from_rows([{"email": "a@x.com", "safe_grade": "B"}, {"email": "b@x.com", "safe_grade": "D"}])


def _answer(text: str, warn=lambda text: None) -> str:
    """The chunk's answer as the command writes it: text as it comes, cells through a csv writer."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for item in enrich_chunk(text, TABLE, ("user",), False, "mc_", warn=warn):
        if isinstance(item, str):
            out.write(item)
        else:
            writer.writerow(item)
    return out.getvalue()


def _rows(text: str, warn=lambda text: None) -> list[list[str]]:
    return list(csv.reader(io.StringIO(_answer(text, warn))))


def test_columns_are_appended_and_a_previous_runs_are_replaced():
    header, row = _rows("user,mc_safe_grade,__mv_mc_identity,__mv_user,other\na@x.com,Z,$q$;$r$,,1\n")
    assert header == ["user", "__mv_user", "other", *added_columns("mc_")]
    assert row[:3] == ["a@x.com", "", "1"]
    assert dict(zip(header, row))["mc_safe_grade"] == "B"
    assert len(row) == len(header)


def test_a_multivalue_user_gets_both_a_plain_and_an_mv_cell():
    header, row = _rows('user,__mv_user\n"a@x.com\nB\nc@y.org",$a@x.com$;$B$;$c@y.org$\n')
    cells = dict(zip(header, row))
    assert cells["mc_identity"] == "a@x.com\nb@x.com"  # c@y.org is not in the table: not listed
    assert cells["__mv_mc_identity"] == "$a@x.com$;$b@x.com$"
    assert cells["__mv_mc_grades"] == "$B$;$D$"
    assert (cells["mc_safe_grade"], cells["mc_match"]) == ("D", "local_part")  # the riskiest, and how


def test_short_and_long_rows_are_fitted_to_the_header_and_said_once():
    said: list[str] = []
    header, short, again, long = _rows("user,other,third\na@x.com\nb@x.com,1\nb@x.com,1,2,3\n", said.append)
    cells = [dict(zip(header, row)) for row in (short, again, long)]
    assert [(c["user"], c["other"], c["third"], c["mc_safe_grade"]) for c in cells] == [
        ("a@x.com", "", "", "B"),
        ("b@x.com", "1", "", "D"),
        ("b@x.com", "1", "2", "D"),
    ]
    assert all(len(row) == len(header) for row in (short, again, long))
    assert said == [
        "a record had fewer fields than its chunk's header names; the missing ones were left empty",
        "a record had fewer fields than its chunk's header names; the missing ones were left empty",
        "a record had more fields than its chunk's header names; the extra ones were dropped",
    ]


def test_an_empty_body_gives_nothing():
    assert _rows("") == []


def test_a_record_goes_back_as_its_own_text_over_one_line_or_several():
    sent = 'user,"quoted",other\r\n"a@x.com",1,"x ""y"""\r\nb@x.com,"two\nlines",3\nc@y.org,,\n'
    answer = _answer(sent)
    assert answer.split("\r\n")[1].startswith('"a@x.com",1,"x ""y""",B,')  # splunkd's quoting, untouched
    assert answer.split("\r\n")[2].startswith('b@x.com,"two\nlines",3,D,')
    header, one, two, three = list(csv.reader(io.StringIO(answer)))
    assert header[:3] == ["user", "quoted", "other"]
    assert [one[:4], two[:4], three[:4]] == [
        ["a@x.com", "1", 'x "y"', "B"],
        ["b@x.com", "two\nlines", "3", "D"],
        ["c@y.org", "", "", "unknown"],
    ]
    assert all(len(row) == len(header) for row in (one, two, three))


def test_added_cells_that_need_quotes_get_them():
    table = table_from_rows([{"email": "a@x.com", "department": 'R&D, "Labs"', "safe_grade": "C"}])
    items = list(enrich_chunk("user\na@x.com\n", table, ("user",), False, "p_"))
    assert items[1].startswith("a@x.com,C,")
    (row,) = list(csv.reader(io.StringIO(items[1])))
    assert dict(zip(items[0], row))["p_department"] == 'R&D, "Labs"'


@pytest.mark.parametrize(
    "refuses",
    [
        pytest.param(
            False, marks=pytest.mark.skipif(rows.REFUSES_NUL, reason="this Python's csv refuses NUL")
        ),
        True,
    ],
)
def test_a_nul_character_never_ends_the_search(monkeypatch, refuses):
    """Python 3.9's csv module stops at a NUL ("line contains NUL"); there it becomes U+FFFD, said once."""
    monkeypatch.setattr(rows, "REFUSES_NUL", refuses)
    said: list[str] = []
    header, odd, next_row = _rows("user,_raw\na@x.com,bad\0byte\nb@x.com,fine\n", said.append)
    cells = [dict(zip(header, row)) for row in (odd, next_row)]
    assert [(c["_raw"], c["mc_safe_grade"]) for c in cells] == [
        ("bad\ufffdbyte" if refuses else "bad\0byte", "B"),
        ("fine", "D"),
    ]
    assert said == ([rows.NUL_WARNING] if refuses else [])


class _Counting:
    """The table, counting the values it is asked to look up."""

    def __init__(self, table):
        self.table, self.asked = table, []

    def look_up(self, value):
        self.asked.append(value)
        return self.table.look_up(value)

    def find(self, value):
        self.asked.append(value)
        return self.table.find(value)

    def describe(self, identities):
        return self.table.describe(identities)


def _grades(body: str, table, memo: rows.Memo) -> list[str]:
    """Each record's added grade, its chunk run with `memo`."""
    items = list(enrich_chunk(body, table, ("user",), False, "mc_", memo=memo))
    return [dict(zip(items[0], next(csv.reader([line]))))["mc_safe_grade"] for line in items[1:]]


def test_a_cell_met_before_is_answered_from_the_memo_from_one_chunk_to_the_next():
    table, memo = _Counting(TABLE), rows.Memo()
    assert _grades("user\na@x.com\nCORP\\b\na@x.com\n", table, memo) == ["B", "D", "B"]
    assert _grades("other,user\n1,CORP\\b\n2,a@x.com\n", table, memo) == ["D", "B"]
    assert table.asked == ["a@x.com", "CORP\\b"]  # each cell looked up once, across chunks
    assert memo.users[("a@x.com", "email")] is memo.cells["a@x.com"]  # one user's text, shared


def test_lists_and_cells_too_long_to_name_a_user_are_never_kept():
    memo = rows.Memo()
    long = "a@x.com" + " " * rows.MAX_IDENTITY
    assert _grades(f'user\n"a@x.com, b@x.com"\n{long}\n', TABLE, memo) == ["D", "unknown"]
    assert memo.cells == {}


def test_the_memo_is_emptied_when_its_budget_is_spent_and_answers_stay_the_same(monkeypatch):
    monkeypatch.setattr(rows, "MEMO_BUDGET", 3 * rows.ENTRY + 40)
    table, memo = _Counting(TABLE), rows.Memo()
    body = "user\n" + "a@x.com\nb@x.com\nA@X.COM\n" * 3
    assert _grades(body, table, memo) == ["B", "D", "B"] * 3
    assert len(table.asked) > 3  # dropped and found again
    assert memo.size <= rows.MEMO_BUDGET


def test_a_carriage_return_alone_in_a_cell_neither_ends_the_search_nor_loses_the_record():
    """The csv module refuses a lone CR outside quotes ("new-line character seen in unquoted field")."""
    header, odd, after = _rows("user,x\na@x.com,1\rb\nb@x.com,2\n")
    cells = [dict(zip(header, row)) for row in (odd, after)]
    assert [(c["user"], c["x"], c["mc_safe_grade"]) for c in cells] == [
        ("a@x.com", "1\rb", "B"),
        ("b@x.com", "2", "D"),
    ]
    assert len(odd) == len(after) == len(header)


def test_a_body_that_ends_inside_quotes_gets_its_cells_written_whole():
    """Sent back as its own text, the added cells would fall inside the open quote."""
    header, row = _rows('user,x\na@x.com,"open\nstill open\n')
    assert dict(zip(header, row))["mc_safe_grade"] == "B"
    assert row[1] == "open\nstill open\n" and len(row) == len(header)


def test_records_sent_back_as_text_read_as_the_same_cells_as_the_slow_path_in_random_bodies():
    """Differential: over random bodies (quotes, commas, newlines, CRs, multivalue twins, lists, empty
    cells, CRLF or LF), every answer read back by the csv module is the record's own cells and the cells
    that the memo-free path (`_found`) adds, whatever the memo held from earlier chunks."""
    import random

    rng = random.Random(21)
    table = table_from_rows(
        [
            {"email": f"u{n}@x.com", "safe_grade": "ABCDF"[n % 5], "department": 'R&D, "Labs"' * (n % 2)}
            for n in range(9)
        ]
    )
    pieces = [
        "u1@x.com",
        "U2@X.COM",
        "CORP\\u3",
        "u4",
        "nobody@y.org",
        "-",
        "",
        "a,b",
        'q"x',
        "l1\nl2",
        "c\rr",
        "u5@x.com; u6@x.com",
        '"P" <u7@x.com>',
    ]
    memo = rows.Memo()
    for chunk in range(200):
        header = ["_raw", "user", "__mv_user", "other"]
        body_rows = []
        for _ in range(rng.randint(0, 12)):
            values = [rng.choice(pieces) for _ in range(rng.choice((1, 1, 3)))]
            twin = encode_mv(values) if len(values) > 1 else ""
            body_rows.append([rng.choice(pieces), "\n".join(values), twin, rng.choice(pieces)])
        out = io.StringIO()
        csv.writer(
            out,
            lineterminator=rng.choice(("\n", "\r\n")),
            quoting=rng.choice((csv.QUOTE_MINIMAL, csv.QUOTE_ALL)),
        ).writerows([header, *body_rows])
        answer = io.StringIO()
        writer = csv.writer(answer, lineterminator="\r\n")
        for item in enrich_chunk(out.getvalue(), table, ("user",), False, "mc_", memo=memo):
            answer.write(item) if isinstance(item, str) else writer.writerow(item)
        back = list(csv.reader(io.StringIO(answer.getvalue(), newline="")))
        if not body_rows:
            continue
        assert back[0] == header + added_columns("mc_"), chunk
        sources = [(1, 2)]
        for sent, got in zip(body_rows, back[1:]):
            assert got == sent + rows._cells(*rows._found(table, sent, sources, False)), (chunk, sent)
        assert len(back) == len(body_rows) + 1
