"""Where Splunk_SA_CIM (shipped with Enterprise Security) is installed, outcomes are reported through its
cim_actions.ModularAction, as adaptive-response actions do. The real module needs Splunk's own Python
libraries, so a stand-in with the same interface (constructor, update, message) records the calls."""

from __future__ import annotations

from .conftest import FAKE_CIM_ACTIONS, GROUP, rows_for


def test_outcomes_go_through_cim_actions_when_es_is_installed(run_action, splunk_home, tenant):
    lib = splunk_home / "etc" / "apps" / "Splunk_SA_CIM" / "lib"
    lib.mkdir(parents=True)
    (lib / "cim_actions.py").write_text(FAKE_CIM_ACTIONS)

    run = run_action("mimecast_add_to_group", [{"user": "ann@simulated.example"}, {"host": "x"}])

    assert run.status == 1
    assert len(run.lines) == 2
    added, skipped = sorted(run.lines, key=lambda line: 'rid="0"' not in line)
    assert 'signature="Added ann@simulated.example to Mimecast group High Risk Users"' in added
    assert 'action_name="mimecast_add_to_group"' in added
    assert 'action_status="success"' in added and 'rid="0"' in added
    assert 'mc_user="ann@simulated.example"' in added
    assert 'search_name="Risky users who clicked"' in added
    assert 'action_status="failure"' in skipped and 'rid="1"' in skipped
    assert tenant.group_members(GROUP) == {"ann@simulated.example"}


def test_run_level_failures_are_reported_as_failures(run_action, splunk_home):
    lib = splunk_home / "etc" / "apps" / "Splunk_SA_CIM" / "lib"
    lib.mkdir(parents=True)
    (lib / "cim_actions.py").write_text(FAKE_CIM_ACTIONS)

    run = run_action(
        "mimecast_add_to_group", rows_for("a@simulated.example", "b@simulated.example"), max_users="1"
    )

    assert run.status == 2
    assert 'action_status="failure"' in run.lines[-1]
    assert "more than max_users=1" in run.lines[-1]


def test_a_cim_app_that_does_not_load_falls_back_to_plain_lines(run_action, splunk_home):
    lib = splunk_home / "etc" / "apps" / "Splunk_SA_CIM" / "lib"
    lib.mkdir(parents=True)
    (lib / "cim_actions.py").write_text("import splunk.rest\n")

    run = run_action("mimecast_add_to_group", rows_for("ann@simulated.example"))

    assert run.status == 0
    assert "cim_actions did not load" in run.lines[0]
    assert run.outcomes() == [("ann@simulated.example", "added")]
