"""Test connectivity, get user risk, list risky users and get phishing results against the simulated
tenant, compared with what the tenant itself says it holds."""

from __future__ import annotations

from devkit import soar
from devkit.simulator import Faults
from splunk_app.risk.policy import shipped

from .conftest import one_line


def _users(tenant) -> dict[str, dict]:
    return {record["emailAddress"].lower(): record for record in tenant.expected_users()}


def _watch_listed(tenant) -> dict[str, int]:
    path = "/api/awareness-training/company/get-watchlist-details"
    return {record["email"].lower(): record["watchlistCount"] for record in tenant.expected(path)}


def test_connectivity_says_what_the_account_may_do(act):
    run = act("test_connectivity")
    assert run.ok
    assert "It can pull: SAFE score details" in run.output
    assert "It may manage groups" in run.output


def test_connectivity_with_api1_keys(act, tenant):
    run = act("test_connectivity", asset_=soar.asset_for(tenant.base_url, tenant.keys, auth="hmac"))
    assert run.ok
    assert "Training campaigns" in run.output.split("It can pull:", 1)[1]


def test_connectivity_wrong_key_is_one_clear_failure(act, tenant):
    run = act("test_connectivity", asset_=soar.asset_for(tenant.base_url, tenant.keys, client_secret="wrong"))
    assert not run.ok
    assert one_line(run.message)
    assert "rejected the credentials" in run.message


def test_an_incomplete_asset_names_the_missing_field(act, tenant):
    run = act(
        "get_user_risk",
        {"user": "x"},
        asset_={"base_url": tenant.base_url, "auth_type": "hmac", "app_id": "a"},
    )
    assert not run.ok
    assert "HMAC (API 1.0) needs" in run.message and one_line(run.message)


def test_user_risk_by_email_in_any_case(act, tenant):
    email, record = next(iter(_users(tenant).items()))
    run = act("get_user_risk", {"user": email.upper()})
    assert run.ok
    [found] = run.data
    assert found["found"] is True and found["match"] == "email"
    assert found["email"] == email
    assert found["safe_grade"] == (record["risk"] or "")
    assert found["risky_grade"] is shipped().rule(record["risk"]).risky
    components = ("humanError", "engagement", "knowledge", "sentiment")
    assert [found[n] for n in ("human_error", "engagement", "knowledge", "sentiment")] == [
        (record[c] or "") for c in components
    ]
    listed = _watch_listed(tenant)
    assert found["watch_list"] is (email in listed)
    assert run.results[0].summary["safe_grade"] == found["safe_grade"]


def test_user_risk_by_domain_backslash_user(act, tenant):
    email = sorted(_users(tenant))[3]
    run = act("get_user_risk", {"user": f"SIMULATED\\{email.split('@')[0]}"})
    [found] = run.data
    assert found["found"] is True and found["email"] == email and found["match"] == "local_part"
    assert found["training_correct"] != ""  # performance totals were asked for this user
    assert all(result["email"] == email for result in found["phishing_results"])


def test_user_risk_in_display_name_form(act, tenant):
    email, record = sorted(_users(tenant).items())[5]
    run = act("get_user_risk", {"user": f'"{record["name"]}" <{email}>'})
    assert run.data[0]["found"] is True and run.data[0]["email"] == email


def test_an_unknown_user_is_a_result_not_an_error(act):
    run = act("get_user_risk", {"user": "nobody.here@simulated.example"})
    assert run.ok
    assert run.data[0]["found"] is False
    assert "is not a user of this Mimecast tenant" in run.message


def test_an_outsider_with_a_users_local_part_is_nobody(act, tenant):
    email = sorted(_users(tenant))[4]
    run = act("get_user_risk", {"user": f"{email.split('@')[0]}@elsewhere.example"})
    assert run.ok and run.data[0]["found"] is False


def test_risky_users_by_grade_and_watch_list(act, tenant):
    policy = shipped()
    users = _users(tenant)
    worse = {e for e, r in users.items() if r["risk"] and policy.rank(r["risk"]) >= policy.rank("D")}
    run = act("list_risky_users", {"grade": "D", "page_size": 500})
    assert {row["email"] for row in run.data} == worse
    assert run.results[0].summary["total_users"] == len(worse)
    listed = set(_watch_listed(tenant))
    run = act("list_risky_users", {"grade": "A", "watch_list_only": True, "page_size": 500})
    assert {row["email"] for row in run.data} == {e for e in listed if users[e]["risk"]}


def test_risky_users_are_paged(act):
    first = act("list_risky_users", {"grade": "C", "page_size": 2, "page": 1})
    second = act("list_risky_users", {"grade": "C", "page_size": 2, "page": 2})
    assert len(first.data) == 2
    assert first.results[0].summary["pages"] >= 2
    assert not {r["email"] for r in first.data} & {r["email"] for r in second.data}
    pages = first.results[0].summary["pages"]
    beyond = act("list_risky_users", {"grade": "C", "page_size": 2, "page": pages + 1})
    assert beyond.ok and beyond.data == [] and f"page {pages + 1} of {pages}" in beyond.message


def test_answers_are_one_result_and_none_is_no_row(act):
    run = act("list_risky_users", {"grade": "A", "page_size": 5})
    assert len(run.results) == 1 and len(run.data) == 5
    nobody = act("get_phishing_results", {"user": "nobody.here@simulated.example"})
    assert nobody.ok and nobody.data == [] and nobody.results[0].summary == {"results": 0}
    assert "is not a user of this Mimecast tenant" in nobody.message


def test_risky_users_by_department(act, tenant):
    department = sorted({r["department"] for r in _users(tenant).values() if r["department"]})[0]
    run = act("list_risky_users", {"grade": "A", "department": department.upper(), "page_size": 500})
    assert run.data and {row["department"] for row in run.data} == {department}


def test_phishing_results_of_a_user_and_of_a_campaign(act, tenant):
    campaigns = list(tenant.expected("/api/awareness-training/phishing/campaign/get-campaign"))
    campaign = campaigns[0]
    run = act("get_phishing_results", {"campaign_id": campaign["id"]})
    path = "/api/awareness-training/phishing/campaign/get-user-data"
    expected = list(tenant.expected(path, [{"id": campaign["id"]}]))
    assert len(run.data) == len(expected)
    assert {row["campaign_id"] for row in run.data} == {campaign["id"]}
    email = expected[0]["email"].lower()
    mine = act("get_phishing_results", {"user": email})
    assert mine.data and {row["email"] for row in mine.data} == {email}


def test_bad_parameters_are_one_line(act):
    run = act("list_risky_users", {"grade": "Z"})
    assert not run.ok and one_line(run.message)
    run = act("get_phishing_results", {})
    assert not run.ok and "give a user" in run.message


def test_missing_permission_is_one_clear_failure(act, tenant):
    tenant.faults = Faults(missing_permission=50)
    run = act("get_user_risk", {"user": "anyone@simulated.example"})
    assert not run.ok and one_line(run.message)
    assert "permission" in run.message.lower()


def test_an_expired_token_is_renewed(act, tenant):
    tenant.faults = Faults(token_expiry=1)
    run = act("list_risky_users", {"grade": "F"})
    assert run.ok


def test_many_rate_limits_fail_in_one_line(act, tenant):
    tenant.faults = Faults(rate_limit_storm=200, storm_reset_ms=10)
    run = act("list_risky_users", {"grade": "F"})
    assert not run.ok and one_line(run.message)
