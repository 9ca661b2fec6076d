"""Writes samples/mimecast_awareness_overview.json from a `make demo` run, so the overview's picture shows
what the add-on pulled from the simulated tenant rather than figures made up by hand.

Each data source's result is computed from demo-output/ (events.jsonl, enriched_events.jsonl) the way its
search in the dashboard computes it from the index: the current snapshot of each account, the same
grouping, sorting and rounding, the risk policy read from the app's own lookup. The demo runs every input
once, so the grade trend has one day. Run: `python -m tests.content.demo_samples [demo-output]`
(`make dashboard-pictures` does, after `make demo`).
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from splunk_app.risk import policy

from .render import SAMPLES
from .spl import ROOT

Event = dict
COMPONENTS = {"Engagement": "engagement", "Human error": "humanError", "Knowledge": "knowledge"}
COMPONENTS["Sentiment"] = "sentiment"
NEVER = ("", "null")


def read_events(folder: Path) -> list[tuple[str, float, Event]]:
    """(sourcetype, time, event) of every event the demo's inputs wrote."""
    with (folder / "events.jsonl").open(encoding="utf-8") as lines:
        return [(e["sourcetype"], float(e["time"]), e["event"]) for e in map(json.loads, lines)]


def of(events: Iterable[tuple[str, float, Event]], *names: str) -> Iterator[Event]:
    kinds = {f"mimecast:awareness:{name}" for name in names}
    return (event for sourcetype, _, event in events if sourcetype in kinds)


def grade_of(value: object) -> str:
    """The macro mimecast_awareness_grade, then "No grade" for what is none."""
    return policy.grade_name(value) or "No grade"


def time_set(value: object) -> bool:
    """The macro mimecast_awareness_time_set: a real time, not empty, null or 1970-01-01."""
    return value is not None and str(value) not in NEVER and not str(value).startswith("1970-01-01")


def table(fields: list[str], rows: list[list]) -> dict:
    return {"fields": fields, "rows": rows}


def per_user(events: Iterable[Event]) -> dict[tuple[str, str], dict]:
    """stats latest(...) by mc_account, mc_user: later events win field by field (one run: one each)."""
    users: dict[tuple[str, str], dict] = defaultdict(dict)
    for event in events:
        users[(event["mc_account"], event["mc_user"])].update(
            {key: value for key, value in event.items() if value is not None}
        )
    return users


def overview(folder: Path) -> dict[str, dict]:
    events = read_events(folder)
    rules = policy.shipped()
    samples: dict[str, dict] = {}
    accounts = Counter(event["mc_account"] for _, _, event in events)
    samples["ds_accounts"] = table(["mc_account", "count"], [[a, n] for a, n in sorted(accounts.items())])

    scored = per_user(of(events, "safe_score"))
    listed = per_user(of(events, "watchlist"))
    performance = per_user(of(events, "performance"))
    grades = Counter(grade_of(user.get("risk")) for user in scored.values())
    present = sorted(
        g for g in grades if grades[g]
    )  # a chart's series: the grades found, as stats sorts them
    samples["ds_grade_now"] = table(["Grade", "Users"], [[g, grades[g]] for g in present])
    day = time.strftime("%Y-%m-%dT00:00:00.000+00:00", time.gmtime(min(t for _, t, _ in events)))
    samples["ds_grade_trend"] = table(["_time", *present], [[day, *(grades[g] for g in present)]])
    everyone = set(scored) | set(listed)
    graded = sum(1 for key in everyone if policy.grade_name(scored.get(key, {}).get("risk")))
    risky = sum(1 for key in everyone if rules.rule(scored.get(key, {}).get("risk"), False).risky)
    samples["ds_kpis"] = table(
        ["graded_users", "df_users", "watchlisted_users"], [[graded, risky, len(listed)]]
    )
    counts = {
        label: Counter(grade_of(u.get(field)) for u in scored.values()) for label, field in COMPONENTS.items()
    }
    found = sorted({g for c in counts.values() for g in c if c[g]})
    rows = [[label, *(c[g] for g in found)] for label, c in sorted(counts.items())]
    samples["ds_components"] = table(["component", *found], rows)

    watch = sorted(listed.items(), key=lambda item: -int(item[1].get("watchlistCount") or 0))
    samples["ds_watchlist"] = table(
        ["User", "Name", "Department", "Entries", "Account"],
        [[u, e.get("name"), e.get("department"), e.get("watchlistCount"), a] for (a, u), e in watch],
    )
    samples["ds_module_completion"] = _modules(of(events, "module"))
    samples["ds_department_completion"] = _departments(of(events, "performance_summary"))
    wrong = Counter(
        e["title"] for e in of(events, "user_module") if e.get("status") == "Incorrect"
    ).most_common(10)
    samples["ds_modules_wrong"] = table(["Module", "Answered wrongly"], [[m, n] for m, n in wrong])
    samples["ds_campaigns"] = _campaigns(of(events, "campaign"))
    samples["ds_phishing"], samples["ds_phish_rate"] = _phishing(of(events, "phishing_result"))
    samples["ds_riskiest"] = _riskiest(rules, scored, listed, performance)
    samples["ds_risky_clicks"] = _risky_clicks(rules, folder / "enriched_events.jsonl")
    return samples


def _pct(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _modules(events: Iterable[Event]) -> dict:
    rows = []
    for e in events:
        sent, completed, correct = (int(e.get(k) or 0) for k in ("numSent", "numCompleted", "numCorrect"))
        title = e.get("title", {}).get("title") if isinstance(e.get("title"), dict) else e.get("title")
        rows.append(
            [title, sent, completed, _pct(completed, sent), _pct(correct, completed), e["mc_account"]]
        )
    rows.sort(key=lambda row: (row[3] is not None, row[3] or 0))
    return table(["Module", "Sent", "Completed", "Completed %", "Correct %", "Account"], rows)


def _departments(events: Iterable[Event]) -> dict:
    rows = []
    for e in events:
        sent, not_watched = int(e.get("numVideosSent") or 0), int(e.get("numVideosNotWatched") or 0)
        rows.append([
            e["mc_department"], e.get("numParticipating"), sent, not_watched, _pct(sent - not_watched, sent),
            e.get("numZeroIncorrect"), e.get("numFourOrMoreIncorrect"), e["mc_account"],
        ])  # fmt: skip
    rows.sort(key=lambda row: (row[4] is not None, row[4] or 0))
    fields = ["Department", "Taking part", "Videos sent", "Not watched", "Completed %", "No wrong answer"]
    return table([*fields, "Four or more wrong", "Account"], rows)


def _campaigns(events: Iterable[Event]) -> dict:
    found = sorted(events, key=lambda e: str(e.get("launchDate") or ""), reverse=True)
    rows = [
        [e.get("name"), str(e.get("launchDate") or "")[:10], e.get("numSent"), e.get("numCompleted"),
         e.get("percentComplete"), e.get("percentCorrect"), e["mc_account"]]
        for e in found
    ]  # fmt: skip
    return table(["Campaign", "Launched", "Sent", "Completed", "Completed %", "Correct %", "Account"], rows)


def _phishing(events: Iterable[Event]) -> tuple[dict, dict]:
    stages = ("timeOpened", "timeClicked", "timeSubmitted", "timeReported")
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * 5)
    for e in events:
        row = counts[(e["mc_account"], e["mc_campaign_name"])]
        row[0] += 1
        for i, stage in enumerate(stages, 1):
            row[i] += time_set(e.get(stage))
    rows = [
        [name, *row, _pct(row[2], row[0]), _pct(row[4], row[0]), account]
        for (account, name), row in counts.items()
    ]
    rows.sort(key=lambda row: -(row[6] or 0))
    fields = [
        "Campaign",
        "Sent",
        "Opened",
        "Clicked",
        "Submitted",
        "Reported",
        "Click %",
        "Report %",
        "Account",
    ]
    sent = sum(row[1] for row in rows)
    rate = table(["click_rate_pct"], [[_pct(sum(row[3] for row in rows), sent)]])
    return table(fields, rows), rate


def _riskiest(rules: policy.Policy, scored: dict, listed: dict, performance: dict) -> dict:
    rows = []
    for key in set(scored) | set(listed) | set(performance):
        user = {**performance.get(key, {}), **listed.get(key, {}), **scored.get(key, {})}
        on_list = key in listed
        rule = rules.rule(user.get("risk"), on_list)
        if not rule.risky:
            continue
        count = int(listed.get(key, {}).get("watchlistCount") or 0)
        incorrect = int(user.get("numIncorrect") or 0)
        sort_key = (-rule.rank, -on_list, -count, -incorrect)
        grade = policy.grade_name(user.get("risk"))
        row = [
            key[1],
            user.get("name"),
            user.get("department"),
            grade,
            "yes" if on_list else "no",
            count or "",
        ]
        rows.append((sort_key, [*row, user.get("humanError"), incorrect, key[0]]))
    rows.sort(key=lambda item: item[0])
    fields = ["User", "Name", "Department", "Grade", "Watch-listed", "Watch-list entries", "Human error"]
    return table([*fields, "Answered wrongly", "Account"], [row for _, row in rows[:50]])


def _risky_clicks(rules: policy.Policy, enriched: Path) -> dict:
    clicks: dict[str, list] = {}
    with enriched.open(encoding="utf-8") as lines:
        for e in map(json.loads, lines):
            listed = policy.watchlisted(e.get("mimecast_watchlist"))
            if not e.get("mimecast_identity") or not rules.rule(e.get("mimecast_safe_grade"), listed).risky:
                continue
            seen = clicks.setdefault(e["mimecast_identity"], [0, set(), 0.0, e])
            seen[0] += 1
            seen[1].add(e.get("url"))
            if float(e["_time"]) >= seen[2]:
                seen[2], seen[3] = float(e["_time"]), e
    top = sorted(clicks.items(), key=lambda item: -item[1][0])[:25]
    rows = [
        [who, n, len(urls), time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(last)), e["mimecast_safe_grade"],
         "yes" if policy.watchlisted(e.get("mimecast_watchlist")) else "no", e.get("mimecast_department")]
        for who, (n, urls, last, e) in top
    ]  # fmt: skip
    fields = ["User", "Clicks", "Distinct URLs", "Last click", "Grade", "Watch-listed", "Department"]
    return table(fields, rows)


def main(folder: Path) -> None:
    """Replace each sample the demo gives; keep (and name) any other, in the file's order."""
    out = SAMPLES / "mimecast_awareness_overview.json"
    computed = overview(folder)
    kept = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    merged = {name: computed.get(name, sample) for name, sample in kept.items()} | computed
    out.write_text(json.dumps(merged, indent=1) + "\n", encoding="utf-8")
    print(f"{out.relative_to(ROOT)} written from {folder}")
    for name in sorted(set(kept) - set(computed)):
        print(f"  {name}: not computed from the demo; its hand-made sample is kept")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "demo-output")
