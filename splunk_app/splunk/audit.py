"""The audit trail: every change the add-on makes in Mimecast, as an event of sourcetype
`mimecast:awareness:audit` in the add-on's index.

An alert action has no event writer of its own. Each event is written as one JSON file into the app's spool
folder, which the shipped `batch://` input indexes and deletes (inputs.conf). Chosen over splunkd's
`receivers/simple` endpoint because that one needs the `edit_tcp` capability, which the roles that run alerts
should not have, and because a file is written even while splunkd's REST API is busy; the file appears
whole (written aside, then renamed), so the input never reads half an event."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

SOURCETYPE = "mimecast:awareness:audit"
SPOOL = ("var", "spool", "ta_mimecast_awareness", "audit")


def spool_folder(splunk_home: str) -> str:
    return os.path.join(splunk_home, *SPOOL)


class AuditSpool:
    """Writes each event as its own file `<time>_<random>.json` in the spool folder."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def __call__(self, event: dict[str, Any]) -> None:
        os.makedirs(self.folder, exist_ok=True)
        name = f"{int(float(event.get('time') or 0) * 1000):015d}_{uuid.uuid4().hex}"
        aside = os.path.join(self.folder, f".{name}.tmp")
        with open(aside, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(event, separators=(",", ":"), ensure_ascii=True) + "\n")
        os.replace(aside, os.path.join(self.folder, f"{name}.json"))
