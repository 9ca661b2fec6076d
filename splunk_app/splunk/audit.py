"""The audit trail: every change the add-on makes in Mimecast, as an event of sourcetype
`mimecast:awareness:audit` in the add-on's index.

An alert action has no event writer of its own. Each event is written as one JSON file into the add-on's
folder under splunkd's spool, which the shipped `batch://` input indexes and deletes (inputs.conf; Splunk
Cloud allows batch inputs only there or in the app's own folder). Chosen over splunkd's `receivers/simple`
endpoint because that one needs the `edit_tcp` capability, which the roles that run alerts should not have,
and because a file is written even while splunkd's REST API is busy. The file is written in a folder of its
own first and then moved in whole, so no input ever reads half an event."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

SOURCETYPE = "mimecast:awareness:audit"
INDEX = "mimecast"  # the add-on's default index, as the inputs' and the macro mimecast_awareness_index
SPOOL = ("var", "spool", "splunk", "ta_mimecast_awareness_audit")
ASIDE = ("var", "run", "splunk", "ta_mimecast_awareness", "audit_pending")


def spool_folder(splunk_home: str) -> str:
    return os.path.join(splunk_home, *SPOOL)


class AuditSpool:
    """Writes each event as its own file `<id>.json` in the spool folder of `splunk_home`: an event written
    again (a retry, a second sweep) replaces its own file while it waits to be indexed, and carries the same
    `event_id` after, so searches count it once."""

    def __init__(self, splunk_home: str) -> None:
        self.folder = spool_folder(splunk_home)
        self.aside = os.path.join(splunk_home, *ASIDE)

    def __str__(self) -> str:
        return f"the audit spool {self.folder}"

    def __call__(self, event: dict[str, Any]) -> None:
        os.makedirs(self.folder, exist_ok=True)
        os.makedirs(self.aside, exist_ok=True)
        name = f"{event.get('event_id') or uuid.uuid4().hex}.json"
        pending = os.path.join(self.aside, f"{uuid.uuid4().hex}_{name}")
        with open(pending, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(event, separators=(",", ":"), ensure_ascii=True) + "\n")
        os.replace(pending, os.path.join(self.folder, name))
