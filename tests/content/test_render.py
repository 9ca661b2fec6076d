"""Every dashboard, validated and drawn by Splunk's own Dashboard Studio packages in headless Chromium.

Each search is fed a small sample result (samples/<view>.json); the test fails on a validation error, a panel
that reports an error or a warning, a panel that draws nothing, a table with columns scrolled out of view or
a header or value broken mid-word.
The pictures land in build/dashboards/ (`make dashboard-pictures` copies them to docs/dashboards/ for the
README). `make render-tools` installs the npm packages and checks for Chromium.
"""

from __future__ import annotations

import pytest

from splunk_app.risk import policy

from . import dashboard, render

VIEWS = [path.stem for path in dashboard.views()]


@pytest.fixture(scope="module")
def report() -> dict[str, dict]:
    if not render.READY.is_file():
        pytest.fail("npm packages missing: run `make render-tools`")
    if not render.chromium():
        pytest.fail("no Chromium: install chromium or chromium-browser, or set CHROMIUM")
    return render.render_all()


@pytest.mark.parametrize("view", VIEWS)
def test_every_search_has_a_sample_result(view):
    _, definition = dashboard.load(dashboard.VIEWS / f"{view}.xml")
    sample = render.samples(view)
    assert sorted(sample) == sorted(definition["dataSources"])
    for name, result in sample.items():
        assert result["rows"], f"{view}: the sample of {name} is empty"
        assert all(len(row) == len(result["fields"]) for row in result["rows"]), name


@pytest.mark.parametrize("view", VIEWS)
def test_the_definition_passes_dashboard_studios_validator(report, view):
    assert report[view]["validation"] == []
    assert report[view]["renderErrors"] == []


@pytest.mark.parametrize("view", VIEWS)
def test_the_dashboard_draws_without_errors(report, view):
    assert report[view]["rendered"], f"{view}: Dashboard Studio never said it had rendered"
    assert report[view]["consoleErrors"] == []


@pytest.mark.parametrize("view", VIEWS)
def test_every_panel_draws_its_sample_and_reports_nothing_wrong(report, view):
    _, definition = dashboard.load(dashboard.VIEWS / f"{view}.xml")
    panels = {panel["id"]: panel for panel in report[view]["panels"]}
    assert sorted(panels) == sorted(definition["visualizations"])
    problems = {
        name: panel
        for name, panel in panels.items()
        if not panel["drawn"]
        or panel["messages"]
        or panel["content"] == 0
        or panel["hiddenColumns"]
        or panel["brokenWords"]
    }
    assert problems == {}


@pytest.mark.parametrize("view", VIEWS)
def test_a_whole_picture_is_written(report, view):
    assert not report[view]["cut"], f"{view} is taller than render.mjs's window: raise HEIGHT"
    picture = render.OUTPUT / f"{view}.png"
    assert picture.stat().st_size > 10_000


def test_the_overview_sample_agrees_with_itself():
    """The headline figures and the grade distribution describe the same users (the picture once showed
    1,000 users with a SAFE grade beside 6% with no grade)."""
    sample = render.samples("mimecast_awareness_overview")
    (graded, df_users, watchlisted), *_ = sample["ds_kpis"]["rows"]
    grades = dict(sample["ds_grade_now"]["rows"])
    assert graded == sum(n for grade, n in grades.items() if grade != "No grade")
    risky = policy.shipped()
    assert df_users == sum(n for grade, n in grades.items() if risky.rule(grade).risky)
    assert watchlisted == len(sample["ds_watchlist"]["rows"])
    for component, *counts in sample["ds_components"]["rows"]:
        assert sum(counts) == sum(grades.values()), component
