"""Sample Splunk SOAR playbook: a user clicked a phishing link. Look up their Mimecast Awareness Training
risk; contain the users whose grade the risk policy counts risky (get user risk's risky_grade: D or F as
shipped) for 7 days by adding them to a stricter Mimecast group.

Written against SOAR's Python playbook API (phantom.rules: act, collect2, debug, comment) as documented;
not run on a SOAR instance here (the app's actions themselves are tested through the SDK's local runner).
Import it as a Python playbook, or rebuild it in the visual editor from the steps below. Set ASSET to your
Mimecast Awareness Training asset and GROUP to the group whose policies hold a risky user (stricter URL
protection, for instance). The container's artifacts carry the user in `cef.suser` (or `cef.toEmail`).
"""

import phantom.rules as phantom

ASSET = "mimecast_awareness"
GROUP = "High Risk Users"
DAYS = 7


def on_start(container):
    users = phantom.collect2(container=container, datapath=["artifact:*.cef.suser", "artifact:*.cef.toEmail"])
    parameters = [{"user": user or to} for user, to in users if user or to]
    if not parameters:
        phantom.comment(container=container, comment="No user in the artifacts: nothing to look up")
        return
    phantom.act(
        "get user risk",
        parameters=parameters,
        assets=[ASSET],
        callback=contain_risky,
        name="get_user_risk_1",
    )


def contain_risky(action=None, success=None, container=None, results=None, handle=None, **kwargs):
    found = phantom.collect2(
        container=container,
        datapath=[
            "get_user_risk_1:action_result.data.*.found",
            "get_user_risk_1:action_result.data.*.email",
            "get_user_risk_1:action_result.data.*.safe_grade",
            "get_user_risk_1:action_result.data.*.risky_grade",
        ],
        action_results=results,
    )
    risky = sorted({email for known, email, _grade, risky_grade in found if known and risky_grade})
    for known, email, grade, _risky in found:
        phantom.debug(f"user {email or '(not found)'}: SAFE grade {grade or 'none'}, found={known}")
    if not risky:
        phantom.comment(container=container, comment="No clicker has a risky grade: no containment")
        return
    phantom.act(
        "add to group",
        parameters=[{"users": ",".join(risky), "group": GROUP, "days": DAYS, "dry_run": False}],
        assets=[ASSET],
        callback=note_run,
        name="add_to_group_1",
    )


def note_run(action=None, success=None, container=None, results=None, handle=None, **kwargs):
    runs = phantom.collect2(
        container=container,
        datapath=["add_to_group_1:action_result.summary.run_id", "add_to_group_1:action_result.message"],
        action_results=results,
    )
    for run_id, message in runs:
        phantom.comment(
            container=container,
            comment=f"Contained for {DAYS} days ({message}). To undo: run 'revert run' with run_id {run_id}",
        )


def on_finish(container, summary):
    phantom.debug(summary)
