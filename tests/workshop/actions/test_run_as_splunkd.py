"""Both alert actions run as splunkd runs them, against the simulated tenant's directory."""

from __future__ import annotations

from devkit.simulator import Faults

from .conftest import GROUP, SETTINGS, rows_for

ADD, REMOVE = "mimecast_add_to_group", "mimecast_remove_from_group"
USERS = ("ann@simulated.example", "bob@simulated.example", "cy@simulated.example")


def _calls(tenant, endpoint):
    return [r for r in tenant.requests if r.path.endswith(endpoint)]


def test_adds_then_an_idempotent_repeat(run_action, tenant):
    first = run_action(ADD, rows_for(*USERS))
    second = run_action(ADD, rows_for(*(u.upper() for u in USERS)))

    assert first.status == 0
    assert first.outcomes() == [(u, "added") for u in USERS]
    assert second.status == 0
    assert second.outcomes() == [(u, "already_member") for u in USERS]
    assert tenant.group_members(GROUP) == set(USERS)
    assert all(f'mc_group="{GROUP}"' in line for line in first.lines if "outcome=" in line)
    assert len(_calls(tenant, "/add-group-member")) == 2  # one call a run: the three fit in one


def test_removes_then_an_idempotent_repeat(run_action, tenant):
    run_action(ADD, rows_for(*USERS))

    first = run_action(REMOVE, rows_for(*USERS[:2]))
    second = run_action(REMOVE, rows_for(*USERS[:2]))

    assert (first.status, first.outcomes()) == (0, [(u, "removed") for u in USERS[:2]])
    assert (second.status, second.outcomes()) == (0, [(u, "not_member") for u in USERS[:2]])
    assert tenant.group_members(GROUP) == {USERS[2]}


def test_hmac_account_through_a_proxy_with_password(run_action, tenant, splunkd):
    from devkit.loopback import Server
    from devkit.proxy import forward_proxy

    seen: list[str] = []
    with Server(forward_proxy("proxyuser", "proxy-pa55", seen)) as server:
        splunkd.set_conf(
            SETTINGS,
            "proxy",
            {
                "proxy_enabled": "1",
                "proxy_type": "http",
                "proxy_url": "127.0.0.1",
                "proxy_port": str(server.port),
                "proxy_username": "proxyuser",
            },
        )
        splunkd.set_encrypted(SETTINGS, "proxy", {"proxy_password": "proxy-pa55"})
        run = run_action(ADD, rows_for(USERS[0]), account="legacy")

    assert (run.status, run.outcomes()) == (0, [(USERS[0], "added")])
    assert {r.auth for r in tenant.requests} == {"hmac"}
    assert any(path.endswith("/api/directory/add-group-member") for path in seen)
    assert "proxy-pa55" not in "\n".join(run.lines)


def test_the_guard_acts_on_none_and_says_why(run_action, tenant):
    run = run_action(ADD, rows_for(*USERS), max_users="2")

    assert run.status == 2
    assert tenant.group_members(GROUP) == set()
    assert tenant.requests == []
    assert len(run.lines) == 1
    assert "the results name 3 users, more than max_users=2: acted on none" in run.lines[0]


def test_default_guard_is_25(run_action, tenant):
    run = run_action(ADD, rows_for(*(f"u{i}@simulated.example" for i in range(26))))

    assert run.status == 2
    assert "26 users, more than max_users=25" in run.lines[-1]
    assert tenant.requests == []


def test_dry_run_reports_and_changes_nothing(run_action, tenant):
    run = run_action(ADD, rows_for(*USERS), dry_run="1")

    assert run.status == 0
    assert run.outcomes() == [(u, "would_add") for u in USERS]
    assert tenant.group_members(GROUP) == set()
    assert _calls(tenant, "/add-group-member") == []
    assert "Dry run: would add ann@simulated.example to Mimecast group High Risk Users" in run.lines[0]


def test_dry_run_with_a_group_that_has_no_such_name_says_it_is_unchecked(run_action, tenant):
    run = run_action(ADD, rows_for(USERS[0]), dry_run="1", group="Nonexistent")

    assert run.outcomes() == [(USERS[0], "would_add")]
    assert "no group is named 'Nonexistent'; a real run takes it as a group id" in run.lines[0]
    assert _calls(tenant, "/add-group-member") == []


def test_results_without_an_email_do_not_stop_the_others(run_action, tenant):
    rows = [{"user": USERS[0]}, {"host": "web01"}, {"user": "CORP\\jdoe"}, {"user": USERS[1]}]

    run = run_action(ADD, rows)

    assert run.status == 1
    assert tenant.group_members(GROUP) == set(USERS[:2])
    problems = [line for line in run.lines if "outcome=skipped" in line]
    assert len(problems) == 2
    assert "result 1 has no value in any of mimecast_identity" in problems[0]
    assert "'CORP\\\\jdoe' is not a user of the risk table" in problems[1]


def test_a_chosen_email_field(run_action, tenant):
    run = run_action(ADD, rows_for(USERS[0], field="victim"), email_field="victim")

    assert run.outcomes() == [(USERS[0], "added")]


def test_unknown_group_is_one_line_per_user_and_one_call(run_action, tenant):
    run = run_action(ADD, rows_for(*USERS), group="No Such Group")

    assert run.status == 1
    assert run.outcomes() == [(user, "failed") for user in USERS]
    assert all("no Mimecast group is named or has the id 'No Such Group'" in line for line in run.lines)
    assert len(_calls(tenant, "/add-group-member")) == 1


def test_group_by_id(run_action, tenant):
    run = run_action(ADD, rows_for(USERS[0]), group=tenant.group_id("SOC Escalation"))

    assert run.outcomes() == [(USERS[0], "added")]
    assert tenant.group_members("SOC Escalation") == {USERS[0]}


def test_a_group_name_is_looked_up_once_then_cached(run_action, tenant):
    run_action(ADD, rows_for(USERS[0]), group="soc escalation")
    run_action(ADD, rows_for(USERS[1]), group="SOC Escalation")

    assert len(_calls(tenant, "/find-groups")) == 1
    assert tenant.group_members("SOC Escalation") == set(USERS[:2])


def test_bad_credentials_are_one_line(run_action, tenant, splunkd):
    splunkd.set_encrypted("ta_mimecast_awareness_account", "prod", {"client_secret": "wrong-secret-value"})

    run = run_action(ADD, rows_for(*USERS))

    assert run.status == 1
    assert [o for _, o in run.outcomes()] == ["failed", "skipped", "skipped"]
    failed = [line for line in run.lines if "outcome=failed" in line]
    assert len(failed) == 1
    assert "wrong-secret-value" not in failed[0]
    assert tenant.group_members(GROUP) == set()


def test_missing_permission_is_one_line_per_user(run_action, tenant):
    tenant.faults = Faults(missing_permission=5, path="/add-group-member")

    run = run_action(ADD, rows_for(*USERS))

    assert run.status == 1
    assert [o for _, o in run.outcomes()] == ["failed", "failed", "failed"]
    assert all("Directories | Groups | Edit" in line for line in run.lines)
    assert len(_calls(tenant, "/add-group-member")) == 1


def test_expired_keys_are_one_line(run_action, tenant):
    tenant.faults = Faults(binding_expired=5)

    run = run_action(ADD, rows_for(*USERS), account="legacy")

    assert run.status == 1
    assert [o for _, o in run.outcomes()] == ["failed", "skipped", "skipped"]
    assert tenant.group_members(GROUP) == set()


def test_rate_limits_are_waited_out(run_action, tenant):
    tenant.faults = Faults(rate_limit_storm=2, storm_reset_ms=50, path="/add-group-member")

    run = run_action(ADD, rows_for(*USERS))

    assert (run.status, run.outcomes()) == (0, [(u, "added") for u in USERS])
    assert [r.status for r in _calls(tenant, "/add-group-member")][:2] == [429, 429]


def test_an_unknown_account_says_where_to_add_it(run_action, tenant):
    run = run_action(ADD, rows_for(USERS[0]), account="nope")

    assert run.status == 2
    assert "Mimecast account 'nope' is not configured" in run.lines[-1]
    assert tenant.requests == []


def test_no_results_is_no_call(run_action, tenant):
    run = run_action(ADD, [])

    assert (run.status, run.outcomes()) == (0, [])
    assert tenant.requests == []


def test_a_payload_that_is_not_json(run_action):
    run = run_action(ADD, rows_for(USERS[0]), payload="{not json")

    assert run.status == 2
    assert "the payload on stdin is not JSON" in run.lines[-1]


def test_a_missing_results_file(run_action, tmp_path, splunkd):
    import json

    payload = json.dumps(
        {
            "server_uri": splunkd.uri,
            "session_key": splunkd.session_key,
            "results_file": str(tmp_path / "gone.csv.gz"),
            "configuration": {"account": "prod", "group": GROUP},
        }
    )
    run = run_action(ADD, [], payload=payload)

    assert run.status == 2
    assert "gone.csv.gz' does not exist: nothing done" in run.lines[-1]


def test_without_execute_it_says_how_it_is_run():
    import subprocess
    import sys

    from .conftest import BIN

    done = subprocess.run(
        [sys.executable, str(BIN / f"{REMOVE}.py")], capture_output=True, text=True, timeout=60, check=False
    )

    assert done.returncode == 2
    assert "--execute" in done.stderr


def test_an_unreachable_gateway_is_one_line(run_action, tenant, splunkd):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    splunkd.set_conf("ta_mimecast_awareness_account", "prod", {"base_url": f"http://127.0.0.1:{closed_port}"})

    run = run_action(ADD, rows_for(*USERS))

    assert run.status == 1
    assert [o for _, o in run.outcomes()] == ["failed", "skipped", "skipped"]
    assert "trying again" in "\n".join(run.lines)  # the client's retries are in the action's log ...
    assert run.stderr == ""  # ... not on stderr, which splunkd copies into splunkd.log


def test_users_written_as_logs_write_them_are_acted_on_as_the_table_knows_them(run_action, tenant):
    """The same identity rule as mimecastrisk: DOMAIN\\user, a display-name form, any case."""
    local = USERS[0].split("@")[0]
    rows = [{"user": f"CORP\\{local.upper()}"}, {"user": f'"Someone" <{USERS[1].upper()}>'}]

    run = run_action(ADD, rows)

    assert run.outcomes() == [(USERS[0], "added"), (USERS[1], "added")]
    assert tenant.group_members(GROUP) == set(USERS[:2])
