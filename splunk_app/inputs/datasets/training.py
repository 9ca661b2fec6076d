"""get-training-details: one request per user, one event per module of the user's training."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from splunk_app.inputs.dataset import PER_USER, DataSet
from splunk_app.inputs.events import Event, Snapshot, event
from splunk_app.inputs.settings import Setting
from splunk_app.mimecast.records import training_module

SOURCETYPE = "mimecast:awareness:training"
SETTINGS = (
    Setting(
        "users",
        "Users",
        "Emails, comma or newline separated. Empty: the users the risk table marks as watch-listed or "
        "SAFE grade D/F (that needs a KV store: on a heavy forwarder without one, list the users here).",
        "emails",
        max_length=1_000_000,
    ),
    Setting(
        "max_users_per_run",
        "Max users per run",
        "get-training-details is one request per user: this caps the requests one run spends.",
        "int",
        default="100",
        high=100000,
    ),
)


def shape(user: str, record: dict[str, Any], snapshot: Snapshot) -> Iterator[Event]:
    """One event per module of training[], each with the user-level fields (needEngagement, meritBadge);
    a user without modules still gets one event, so nothing of the record is lost."""
    context = {key: value for key, value in record.items() if key != "training"}
    modules = record.get("training")
    modules = modules if isinstance(modules, list) else []
    if not modules:
        yield event(SOURCETYPE, context, snapshot, mc_user=user, mc_module_count=0)
    for module in modules:
        body = {**context, **(training_module(module) if isinstance(module, dict) else {"value": module})}
        yield event(SOURCETYPE, body, snapshot, mc_user=user, mc_module_count=len(modules))


DATA_SET = DataSet(
    name="training",
    title="Training details (one event per user and module)",
    loop=PER_USER,
    endpoint="training_details",
    sourcetypes={SOURCETYPE: "one module of one user's training (get-training-details training[])"},
    shape=shape,
    settings=SETTINGS,
)
