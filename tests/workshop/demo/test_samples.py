"""The demo's generated security events and its summaries, without running the add-on."""

from __future__ import annotations

from devkit import demo

TABLE = [
    {"email": f"user{n}@example.com", "safe_grade": "ABCDF"[n % 5],
     "watchlist": "true" if n % 7 == 0 else "false", "watchlist_count": str(n % 4)}
    for n in range(100)
]  # fmt: skip


def test_samples_are_reproducible_and_name_users_as_real_sources_do():
    first = demo.sample_security_events(TABLE, 400, 7, 1_700_000_000.0)
    assert first == demo.sample_security_events(TABLE, 400, 7, 1_700_000_000.0)
    proxy = [e for e in first if e["sourcetype"] == "demo:proxy"]
    clicks = [e for e in first if e["sourcetype"] == "demo:email_click"]
    assert len(proxy) == len(clicks) == 200
    users = {e["user"] for e in proxy}
    assert any(u.startswith("CORP\\") for u in users)
    assert any("@" not in u and "\\" not in u for u in users)
    assert any(u != u.lower() and "@" in u for u in users)
    assert any(e["recipient"] != e["recipient"].lower() for e in clicks)
    known = {row["email"] for row in TABLE}
    strangers = {(e.get("user") or e["recipient"]).lower() for e in first} - known
    assert strangers, "some events should name users Mimecast does not know"
    assert all(s.endswith("@partner.example") or "@" not in s for s in strangers)


def test_risky_users_are_over_sampled():
    events = demo.sample_security_events(TABLE, 1000, 7, 1_700_000_000.0)
    risky = {row["email"] for row in TABLE if row["safe_grade"] in "DF" or row["watchlist"] == "true"}
    emails = [e["recipient"].lower() for e in events if "recipient" in e]
    share = sum(email in risky for email in emails) / len(emails)
    assert share > len(risky) / len(TABLE)


def test_top_watchlisted_orders_by_count_then_grade():
    top = demo.top_watchlisted(TABLE, 5)
    assert all(row["watchlist"] == "true" for row in top)
    keys = [(-int(row["watchlist_count"]), -"ABCDF".index(row["safe_grade"])) for row in top]
    assert keys == sorted(keys)
