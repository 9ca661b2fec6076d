"""The Dashboard Studio overview parses and is wired together: every panel, input and token resolves."""

from __future__ import annotations

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


def test_every_visualization_and_input_uses_an_existing_data_source():
    sources = set(DEFINITION["dataSources"])
    users = {**DEFINITION["visualizations"], **DEFINITION["inputs"]}
    for name, item in users.items():
        for source in item.get("dataSources", {}).values():
            assert source in sources, f"{name} uses unknown data source {source}"


def test_every_data_source_is_used():
    used = {
        source
        for item in [*DEFINITION["visualizations"].values(), *DEFINITION["inputs"].values()]
        for source in item.get("dataSources", {}).values()
    }
    assert used == set(DEFINITION["dataSources"])


def test_the_layout_places_every_visualization_and_input_once():
    layout = DEFINITION["layout"]
    placed = [block["item"] for block in layout["structure"]]
    assert sorted(placed) == sorted(DEFINITION["visualizations"])
    assert sorted(layout["globalInputs"]) == sorted(DEFINITION["inputs"])


def test_a_time_picker_and_an_account_filter_drive_every_search():
    inputs = {item["type"]: item["options"]["token"] for item in DEFINITION["inputs"].values()}
    assert inputs == {"input.timerange": "global_time", "input.dropdown": "account"}
    parameters = DEFINITION["defaults"]["dataSources"]["ds.search"]["options"]["queryParameters"]
    assert parameters == {"earliest": "$global_time.earliest$", "latest": "$global_time.latest$"}
    # The account list itself, and the clicks (proxy and email events, which have no Mimecast account).
    for name, source in DEFINITION["dataSources"].items():
        if name not in ("ds_accounts", "ds_risky_clicks"):
            assert 'mc_account="$account$"' in source["options"]["query"], name


@pytest.mark.parametrize("name", sorted(DEFINITION["dataSources"]))
def test_every_token_a_search_uses_is_set_by_an_input(name):
    tokens = {item["options"]["token"] for item in DEFINITION["inputs"].values()}
    query = DEFINITION["dataSources"][name]["options"]["query"]
    for token in re.findall(r"\$([\w.]+)\$", query):
        assert token.split(".")[0] in tokens, f"{name} uses unset token ${token}$"


def test_single_values_read_a_field_their_search_makes():
    for name, viz in DEFINITION["visualizations"].items():
        major = viz.get("options", {}).get("majorValue")
        if major:
            field = re.search(r"seriesByName\('([^']+)'\)", major).group(1)
            query = DEFINITION["dataSources"][viz["dataSources"]["primary"]]["options"]["query"]
            made = re.search(rf"\bas {field}\b|\beval {field}=|, {field}=", query)
            assert made, f"{name} reads {field}, which its search does not make"


def test_nav_opens_the_overview():
    nav = (spl.DEFAULT / "data" / "ui" / "nav" / "default.xml").read_text(encoding="utf-8")
    assert '<view name="mimecast_awareness_overview" default="true"/>' in nav
