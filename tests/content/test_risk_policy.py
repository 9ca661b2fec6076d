"""One risk policy: the lookups mimecast_risk_policy (the administrator's rows, a KV store collection that an
upgrade keeps) and mimecast_risk_policy_default (the shipped table) are the only place grades become ranks,
ES priorities, ES risk scores and "risky", and the SPL macro that reads them answers as the Python policy
does, with and without the administrator's rows."""

from __future__ import annotations

import csv
import re

import pytest

from splunk_app.risk.policy import (
    COLUMNS,
    POLICY_FILE,
    SCORES_ADDED,
    Policy,
    shipped,
    watchlisted,
    with_changes,
)
from splunk_app.splunk.admin_tables import POLICY_COLLECTION

from . import spl, spl_eval
from .test_searches import SEARCHES

MACRO = "mimecast_awareness_risk_policy(2)"
OUTPUTS = (
    "policy_rank",
    "policy_priority",
    "policy_risk_score",
    "policy_risky",
    "policy_change_risk_score",
    "policy_phish_risk_score",
)
GRADES = [*shipped().grades(), "d", " f ", "unknown", "UNKNOWN", "", "E", "X", None]
WATCHLIST = ["true", "false", "TRUE", "1", "yes", "no", "", None]
# An administrator's rows, as they sit in the collection: a changed score and risky flag, a changed row for no
# grade, and a grade the shipped table does not name; rows written before the policy had its ES detection
# scores leave them out (SPL's lookups then fall through to the next table).
CHANGES = [
    dict(zip((*COLUMNS, *SCORES_ADDED), row))
    for row in (
        ("D", "true", "4", "critical", "95", "true", "55", "75"),
        ("C", "false", "3", "high", "50", "true"),
        ("UNKNOWN", "true", "0", "unknown", "10", "false", "35"),
        ("E", "false", "4", "critical", "70", "true"),
        ("E", "true", "4", "critical", "90", "true"),
    )
]
CHANGED = with_changes(shipped(), CHANGES, POLICY_COLLECTION)


def _spl_answers(
    grade: str | None, listed: str | None, rows: list[dict] | None = None
) -> tuple[str | None, ...]:
    stanza = spl.conf("macros.conf")[MACRO]
    args = [name.strip() for name in stanza["args"].split(",")]
    search = spl_eval.expand(stanza["definition"], args, ["g", "w"])
    (record,) = spl_eval.run(search, [{"g": grade, "w": listed}], {POLICY_COLLECTION: rows or []})
    assert set(record) == {"g", "w", *OUTPUTS}  # the macro leaves only its outputs behind
    return tuple(record[name] for name in OUTPUTS)


def _python_answers(policy: Policy, grade: str | None, listed: str | None) -> tuple[str | None, ...]:
    rule = policy.rule(grade, watchlisted(listed))
    return (
        str(rule.rank),
        rule.priority,
        str(rule.risk_score),
        "true" if rule.risky else "false",
        str(rule.change_risk_score),
        str(rule.phish_risk_score),
    )


@pytest.mark.parametrize("listed", WATCHLIST)
@pytest.mark.parametrize("grade", GRADES)
def test_the_spl_macro_and_the_python_policy_agree_for_every_grade_and_no_grade(grade, listed):
    assert _spl_answers(grade, listed) == _python_answers(shipped(), grade, listed)


@pytest.mark.parametrize("listed", WATCHLIST)
@pytest.mark.parametrize("grade", GRADES)
def test_they_agree_with_an_administrators_rows_too(grade, listed):
    assert _spl_answers(grade, listed, CHANGES) == _python_answers(CHANGED, grade, listed)


def test_the_administrators_rows_change_what_they_name_and_nothing_else():
    assert _spl_answers("d", "yes", CHANGES) == ("4", "critical", "95", "true", "55", "75")
    assert _spl_answers("d", "no", CHANGES) == _spl_answers("d", "no")
    assert _spl_answers("E", "no", CHANGES) == ("4", "critical", "70", "true", "0", "20")
    assert _spl_answers("X", "yes", CHANGES) == ("0", "unknown", "10", "false", "35", "40")
    assert _spl_answers("X", "no", CHANGES) == _spl_answers("X", "no")


def test_a_score_an_administrators_row_leaves_out_is_the_next_tables():
    """The shipped row's for the same grade; for a grade the shipped table does not name, the UNKNOWN row's
    (the administrator's first): Python fills it as the macro's OUTPUTNEW lookups do."""
    assert _spl_answers("C", "no", CHANGES)[4:] == _spl_answers("C", "no")[4:]
    assert _spl_answers("E", "yes", CHANGES)[4:] == ("35", "40")
    rule = CHANGED.rule("E", True)
    assert (rule.risk_score, rule.change_risk_score, rule.phish_risk_score) == (90, 35, 40)


def test_the_lookup_definitions_are_the_collection_and_the_file_python_reads():
    changes = spl.conf("transforms.conf")["mimecast_risk_policy"]
    assert changes["external_type"] == "kvstore" and changes["collection"] == POLICY_COLLECTION
    assert [field.strip() for field in changes["fields_list"].split(",")] == ["_key", *COLUMNS, *SCORES_ADDED]
    collection = spl.conf("collections.conf")[POLICY_COLLECTION]
    assert {f"field.{column}" for column in (*COLUMNS, *SCORES_ADDED)} <= set(collection)
    # The macro's lookups may run on the indexers, after a streaming command.
    assert collection.get("replicate") == "true"
    stanza = spl.conf("transforms.conf")["mimecast_risk_policy_default"]
    assert stanza["filename"] == POLICY_FILE
    assert stanza["case_sensitive_match"] == "false"
    with (spl.ROOT / "lookups" / POLICY_FILE).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {(row["grade"].upper(), row["watchlist"] == "true") for row in rows} == set(shipped().rules)


GRADE_LITERAL = re.compile(r'"[ABCDF]"|\bcase\([^|]*grade')
POLICY_FIELDS = re.compile(
    r"\b(priority|grade_rank|risk_score)\s*=|where\s+.*\b(safe_grade|grade)\b.*\"[A-F]\""
)


@pytest.mark.parametrize(("label", "text"), SEARCHES, ids=[label for label, _ in SEARCHES])
def test_no_search_maps_grades_itself(label, text):
    """No grade literal and no case(): a grade becomes a rank, priority, score or "risky" only through the
    policy macro."""
    if label == f"macro {MACRO}":
        assert "lookup mimecast_risk_policy " in text and "lookup mimecast_risk_policy_default " in text
        return
    if (
        label == "macro mimecast_awareness_es_identity_fields"
    ):  # keeps the policy's priority, or leaves it out
        assert 'priority=if(mc_share="include", priority, "")' in text
        text = text.replace('priority=if(mc_share="include", priority, "")', "")
    assert not GRADE_LITERAL.search(text), label
    if POLICY_FIELDS.search(text):
        assert f"`{MACRO.split('(', maxsplit=1)[0]}(" in text, (
            f"{label} sets a policy field without the policy macro"
        )


def test_the_searches_that_need_the_policy_read_it():
    users = [label for label, text in SEARCHES if "`mimecast_awareness_risk_policy(" in text]
    assert users == [
        "savedsearch Mimecast Awareness - Risky user clicked a link",
        "savedsearch Mimecast Awareness - SAFE grade dropped",
        "savedsearch Mimecast Awareness - ES identities",
        "savedsearch Mimecast Awareness - ES human risk score",
        "savedsearch Mimecast Awareness - ES risk: SAFE grade dropped",
        "savedsearch Mimecast Awareness - ES risk: joined the watch list",
        "savedsearch Mimecast Awareness - ES risk: repeated phishing simulation failures",
        "savedsearch Mimecast Awareness - Rebuild risk table from events",
        "savedsearch Mimecast Awareness - Risk table CSV for indexers",
        "dashboard mimecast_awareness_overview ds_grade_moves",
        "dashboard mimecast_awareness_overview ds_kpis",
        "dashboard mimecast_awareness_overview ds_riskiest",
        "dashboard mimecast_awareness_overview ds_risky_clicks",
    ]


def test_the_es_identity_feed_lists_aliases_and_writes_no_spreadsheet_formula():
    search = spl.conf("savedsearches.conf")["Mimecast Awareness - ES identities"]["search"]
    assert "| lookup mimecast_identity_aliases email OUTPUT alias AS user_aliases" in search
    assert "| lookup mimecast_identity_aliases email AS mail_domain OUTPUT alias AS domain_names" in search
    assert 'identity=mvjoin(mvdedup(mvappend(email, local, other_names)), "|")' in search
    commands = [part.split()[0] for part in spl_eval.pipeline(search)]
    assert commands[-3:] == ["table", "foreach", "outputlookup"]  # every written field is neutralised
    assert """if(match('<<FIELD>>', "^[=+@|\\t\\r-]"), "'" . '<<FIELD>>', '<<FIELD>>')""" in search


def test_the_alias_table_ships_empty_and_a_disabled_search_fills_it_from_a_named_source():
    with (spl.ROOT / "lookups" / "mimecast_identity_aliases.csv").open(encoding="utf-8") as handle:
        assert handle.read() == "alias,email\n"
    stanza = spl.conf("savedsearches.conf")["Mimecast Awareness - Identity aliases from ES"]
    assert stanza["disabled"] == "1"
    assert stanza["search"].startswith("| `mimecast_awareness_identity_source`")
    assert stanza["search"].rstrip().endswith("| outputlookup mimecast_identity_aliases")
    assert (
        "inputlookup identity_lookup_expanded"
        in spl.conf("macros.conf")["mimecast_awareness_identity_source"]["definition"]
    )
