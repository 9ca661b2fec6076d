"""The audit spool: each event one whole JSON file, in the folder the shipped batch input reads."""

from __future__ import annotations

import configparser
import json
import sys
from pathlib import Path

from splunk_app.splunk import audit

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "packaging"))
import ucc_inputs  # noqa: E402 -- the build's module, beside build.py


def test_events_land_whole_in_the_folder_the_batch_input_reads(tmp_path):
    conf = configparser.ConfigParser(interpolation=None)
    conf.read_string(ucc_inputs.audit_input())
    (stanza,) = conf.sections()
    spool = Path(stanza.removeprefix("batch://").replace("$SPLUNK_HOME", str(tmp_path)))
    writer = audit.AuditSpool(str(tmp_path))

    writer({"time": 1732870000.5, "change": "added", "user": "ann@x.example", "detail": "line\nbreak"})
    writer({"time": 1732870001.0, "change": "removed", "user": "bob@x.example"})

    files = sorted(spool.glob("*.json"), key=lambda path: json.loads(path.read_text())["time"])
    assert [json.loads(path.read_text())["change"] for path in files] == ["added", "removed"]
    assert all(len(path.read_text().splitlines()) == 1 for path in files)  # one event, one line
    assert conf[stanza]["sourcetype"] == audit.SOURCETYPE and conf[stanza]["move_policy"] == "sinkhole"
    assert list((tmp_path / "var" / "run").rglob("*.json")) == []  # nothing left half-way


def test_an_event_written_again_with_its_id_is_one_file(tmp_path):
    writer = audit.AuditSpool(str(tmp_path))

    writer({"time": 1.0, "event_id": "abc123", "change": "expired", "user": "ann@x.example"})
    writer({"time": 2.0, "event_id": "abc123", "change": "expired", "user": "ann@x.example"})

    files = list(Path(audit.spool_folder(str(tmp_path))).glob("*.json"))
    assert [path.name for path in files] == ["abc123.json"]
    assert json.loads(files[0].read_text())["time"] == 2.0
