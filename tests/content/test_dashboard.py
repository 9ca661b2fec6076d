"""The Dashboard Studio views parse and are wired together: every panel, input and token resolves; the
overview shows what the SOC needs the way an analyst reads it."""

from __future__ import annotations

import json
import re

import pytest

from . import dashboard, spl

OVERVIEW = dashboard.VIEWS / "mimecast_awareness_overview.xml"
ROOT, DEFINITION = dashboard.load(OVERVIEW)

PANELS = {
    "SAFE grade distribution now",
    "SAFE grade trend",
    "The four SAFE components",
    "Watch-listed users",
    "Module completion",
    "Modules most often answered wrongly",
    "Training campaign results",
    "Phishing campaign results",
    "Riskiest users",
    "Recent clicks by risky users (last 24 hours)",
}


def test_it_is_a_dashboard_studio_view_with_its_title():
    assert ROOT.tag == "dashboard"
    assert ROOT.get("version") == "2"
    assert ROOT.findtext("label") == "Mimecast Awareness Overview"
    assert DEFINITION["title"] == "Mimecast Awareness Overview"


def test_it_has_the_panels_the_soc_needs():
    titles = {viz["title"] for viz in DEFINITION["visualizations"].values()}
    assert titles >= PANELS


VIEWS = {path.stem: dashboard.load(path)[1] for path in dashboard.views()}


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_every_visualization_and_input_uses_an_existing_data_source(view):
    definition = VIEWS[view]
    sources = set(definition["dataSources"])
    users = {**definition["visualizations"], **definition.get("inputs", {})}
    for name, item in users.items():
        for source in item.get("dataSources", {}).values():
            assert source in sources, f"{name} uses unknown data source {source}"


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_every_data_source_is_used(view):
    definition = VIEWS[view]
    used = {
        source
        for item in [*definition["visualizations"].values(), *definition.get("inputs", {}).values()]
        for source in item.get("dataSources", {}).values()
    }
    assert used == set(definition["dataSources"])


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_the_layout_places_every_visualization_and_input_once(view):
    definition = VIEWS[view]
    layout = definition["layout"]
    placed = [block["item"] for grid in layout["layoutDefinitions"].values() for block in grid["structure"]]
    assert sorted(placed) == sorted(definition["visualizations"])
    assert sorted(layout["globalInputs"]) == sorted(definition.get("inputs", {}))


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_every_token_a_search_uses_is_set_by_an_input_of_its_view(view):
    definition = VIEWS[view]
    tokens = {item["options"]["token"] for item in definition.get("inputs", {}).values()}
    for name, source in definition["dataSources"].items():
        text = json.dumps(source)
        for token in re.findall(r"\$([\w.]+)\$", text):
            assert token.split(".")[0] in tokens, f"{name} uses unset token ${token}$"


def test_a_time_picker_and_an_account_filter_drive_every_search():
    inputs = {item["type"]: item["options"]["token"] for item in DEFINITION["inputs"].values()}
    assert inputs == {"input.timerange": "global_time", "input.dropdown": "account"}
    parameters = DEFINITION["defaults"]["dataSources"]["ds.search"]["options"]["queryParameters"]
    assert parameters == {"earliest": "$global_time.earliest$", "latest": "$global_time.latest$"}
    # The account list itself, and the clicks (proxy and email events, which have no Mimecast account).
    for name, source in DEFINITION["dataSources"].items():
        if name not in ("ds_accounts", "ds_risky_clicks"):
            assert "mc_account=$account|s$" in source["options"]["query"], name


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_single_values_read_a_field_their_search_makes(view):
    definition = VIEWS[view]
    for name, viz in definition["visualizations"].items():
        major = viz.get("options", {}).get("majorValue")
        if major:
            field = re.search(r"seriesByName\('([^']+)'\)", major).group(1)
            query = definition["dataSources"][viz["dataSources"]["primary"]]["options"]["query"]
            made = re.search(rf"\bas {field}\b|\beval {field}=|, {field}=", query)
            assert made, f"{name} reads {field}, which its search does not make"


def test_nav_opens_the_overview():
    nav = (spl.DEFAULT / "data" / "ui" / "nav" / "default.xml").read_text(encoding="utf-8")
    assert '<view name="mimecast_awareness_overview" default="true"/>' in nav


# The grade palette (A best ... F worst), one colour per grade in every chart and table.
GRADE_COLOURS = {
    "A": "#1A9850",
    "B": "#91CF60",
    "C": "#FEE08B",
    "D": "#FC8D59",
    "F": "#D73027",
    "No grade": "#BBBBBB",
}
GRADE_CHARTS = ("viz_grade_now", "viz_grade_trend", "viz_components")


def test_every_grade_chart_and_grade_cell_uses_the_one_grade_palette():
    for name in GRADE_CHARTS:
        assert DEFINITION["visualizations"][name]["options"]["seriesColorsByField"] == GRADE_COLOURS, name
    graded_tables = [
        (name, viz)
        for name, viz in DEFINITION["visualizations"].items()
        if "Grade" in viz.get("options", {}).get("columnFormat", {})
    ]
    assert {name for name, _ in graded_tables} == {"viz_riskiest", "viz_risky_clicks"}
    for name, viz in graded_tables:
        cells = {rule["match"]: rule["value"] for rule in viz["context"]["gradeColors"]}
        assert cells == GRADE_COLOURS, name


def _table_queries() -> dict[str, str]:
    return {
        name: DEFINITION["dataSources"][viz["dataSources"]["primary"]]["options"]["query"]
        for name, viz in DEFINITION["visualizations"].items()
        if viz["type"] == "splunk.table"
    }


def test_watch_list_status_reads_yes_or_no_in_every_table():
    with_status = {name: q for name, q in _table_queries().items() if '"Watch-listed"' in q}
    assert set(with_status) == {"viz_riskiest", "viz_risky_clicks"}
    for name, query in with_status.items():
        assert '"yes", "no")' in query, name


def test_table_columns_have_labels_a_soc_reads_and_a_width_each():
    for name, query in _table_queries().items():
        renamed = query.splitlines()[-1]
        assert renamed.startswith("| rename "), name
        labels = [label.strip('"') for label in re.findall(r' as ("[^"]+"|\w+)', renamed)]
        assert all(label[0].isupper() and "_" not in label for label in labels), (name, labels)
        widths = DEFINITION["visualizations"][name]["options"]["columnFormat"]
        assert sorted(widths) == sorted(labels), name


def test_a_percentage_keeps_its_decimal():
    viz = DEFINITION["visualizations"]["viz_phish_rate"]
    assert viz["options"]["numberPrecision"] == 1
    assert viz["options"]["unit"] == "%"


def test_the_wrongly_answered_chart_shows_only_wrong_answers():
    query = DEFINITION["dataSources"]["ds_modules_wrong"]["options"]["query"]
    assert 'where status="Incorrect"' in query
    assert "Correct" not in query.replace('"Incorrect"', "")


def test_every_token_in_a_search_is_quoted_by_splunk():
    """A token's value comes from the user's form: in SPL it is always `$token|s$`, which Splunk quotes and
    escapes, so a value with a quote cannot change the search."""
    for path in dashboard.views():
        for query in re.findall(r'"query":\s*"((?:[^"\\]|\\.)*)"', path.read_text()):
            bare = [token for token in re.findall(r"\$([^$\s]+)\$", query) if not token.endswith("|s")]
            assert bare == [], f"{path.name}: {bare} in {query[:80]}"
