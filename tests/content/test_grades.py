"""One rule says what a SAFE grade looks like (GRADE_FORM in splunk_app/risk/policy.py): the inputs and the
policy read it in Python, every search that reads a grade field reads it through the macro
mimecast_awareness_grade, which answers as Python does, and the dashboards colour exactly the grades the
policy names."""

from __future__ import annotations

import re

import pytest

from splunk_app.risk.policy import GRADE_LENGTH, SPACED, grade_name, shipped

from . import spl, spl_eval
from .dashboard import load, views
from .test_searches import SEARCHES

MACRO = "mimecast_awareness_grade(1)"
VALUES = [
    *shipped().grades(),
    "e",
    " E\t",
    "B+",
    "a-",
    "C1",
    "UNKNOWN",
    "X" * GRADE_LENGTH,
    "X" * (GRADE_LENGTH + 1),
    "",
    "   ",
    "-B",
    "+1",
    "=HYPERLINK(1)",
    "@A",
    "|B",
    "A|B",
    "A B",
    "A,B",
    'A"',
    "B\n",
    "Ä",
    "1",
    None,
]
GRADE_FIELDS = (
    "risk|humanError|engagement|knowledge|sentiment|safe_grade|human_error|old_grade|new_grade|grade"
)
CASED = re.compile(rf"\bupper\(({GRADE_FIELDS})\)")


def test_the_macro_spells_the_pythons_rule():
    assert f'"{SPACED}"' in spl.conf("macros.conf")[MACRO]["definition"]


@pytest.mark.parametrize("value", VALUES)
def test_the_macro_reads_a_grade_field_as_python_does(value):
    search = spl_eval.macros("eval out=`mimecast_awareness_grade(g)`")
    (record,) = spl_eval.run(search, [{"g": value}])
    assert record["out"] == grade_name(value)


@pytest.mark.parametrize(("label", "text"), SEARCHES, ids=[label for label, _ in SEARCHES])
def test_no_search_reads_a_grade_field_without_the_rule(label, text):
    """A grade field from Mimecast's events, the risk table or the change events is untrusted text: a search
    that shows, stores or compares it reads it through the macro, never as upper(field)."""
    assert not CASED.search(text), label


def _grade_colours(node: object) -> list[set[str]]:
    """The grade colour maps of a dashboard definition: seriesColorsByField objects and matchValue contexts
    named gradeColors that colour table cells."""
    found: list[set[str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "seriesColorsByField":
                found.append(set(value))
            elif key == "gradeColors":
                found.append({entry["match"] for entry in value})
            else:
                found.extend(_grade_colours(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_grade_colours(value))
    return found


def test_the_dashboards_colour_exactly_the_grades_the_policy_names():
    """A grade the policy does not name (E) takes the chart's next palette colour; name it in the policy and
    this test asks for its colour."""
    (overview,) = [path for path in views() if path.stem == "mimecast_awareness_overview"]
    maps = _grade_colours(load(overview)[1])
    assert len(maps) == 5  # the grade pie, trend and components, and the two tables' grade cells
    assert all(colours == {*shipped().grades(), "No grade"} for colours in maps)
