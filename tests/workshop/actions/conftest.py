"""Run an alert action as splunkd does: `bin/<action>.py --execute`, the JSON payload on stdin, the
results as a gzipped CSV in a dispatch folder, SPLUNK_HOME pointing at a scratch folder; its splunkd REST
calls are answered by the loopback stand-in and its Mimecast calls by the simulated tenant."""

from __future__ import annotations

import csv
import gzip
import itertools
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from devkit.simulator import SimulatedTenant
from devkit.splunkd import SplunkdStandIn

BIN = Path(__file__).resolve().parents[3] / "bin"
INJECT = Path(__file__).resolve().parents[3] / "devkit" / "inject"
ACCOUNTS = "ta_mimecast_awareness_account"
SETTINGS = "ta_mimecast_awareness_settings"
GROUP = "High Risk Users"
RISK_TABLE = "mimecast_user_risk"
CONTAINMENT = "mimecast_containment"
LEASES = "mimecast_containment_lease"
LEDGER = "mimecast_containment_ledger"
# The tenant's own people as the risk table knows them; the actions act on no one else.
KNOWN = (
    "ann@simulated.example",
    "bob@simulated.example",
    "cy@simulated.example",
    "a@simulated.example",
    "b@simulated.example",
    *(f"u{i}@simulated.example" for i in range(600)),
)


# A stand-in for Splunk_SA_CIM's cim_actions (the real one needs Splunk's own Python libraries) with the
# same interface and behaviour: ModularAction(payload JSON, logger, name); update(result) takes the result's
# rid and the notable it came from (orig_sid, orig_rid); action_mode is "saved" for a scheduler sid, else
# "adhoc"; message() logs one `sendmodaction - key="value" ...` line, empty values left out.
FAKE_CIM_ACTIONS = """
import json
import logging


class ModularAction:
    def __init__(self, settings, logger, action_name="unknown"):
        self.settings = json.loads(settings)
        self.logger = logger
        self.action_name = action_name
        self.sid = self.settings.get("sid")
        self.action_mode = "saved" if "scheduler" in str(self.sid) else "adhoc"
        self.user = self.settings.get("user") or self.settings.get("owner")
        self.rid = self.orig_sid = self.orig_rid = ""

    def update(self, result):
        self.orig_sid = result.get("orig_sid", "")
        self.orig_rid = result.get("orig_rid", "")
        self.rid = str(result["rid"])

    def message(self, signature, status=None, rids=None, level=logging.INFO, **kwargs):
        fields = dict(kwargs, signature=signature, action_name=self.action_name, sid=self.sid,
                      search_name=self.settings.get("search_name") or "",
                      orig_sid=self.orig_sid, rid=self.rid, orig_rid=self.orig_rid, user=self.user,
                      action_mode=self.action_mode, action_status=status or "")
        self.logger.log(level, "sendmodaction - " + " ".join(
            '%s="%s"' % (key, fields[key]) for key in sorted(fields) if fields[key] != ""))
"""


@dataclass
class ActionRun:
    status: int
    stderr: str
    lines: list[str]  # the action's log lines of this run, but its summary line
    summary: str = ""  # the run's structured summary line (`mc_summary=...`)

    def outcomes(self) -> list[tuple[str, str]]:
        """(mc_user, outcome) per line that reports one user's outcome (not the run's errors and warnings)."""
        found = []
        for line in self.lines:
            if " outcome=" in line and 'mc_user="' in line:
                user = line.split('mc_user="', 1)[1].split('"', 1)[0]
                outcome = line.split(" outcome=", 1)[1].split()[0].strip('"')
                if outcome not in ("error", "warning"):
                    found.append((user, outcome))
        return found

    def level(self, name: str) -> list[str]:
        """The lines of one log level (ERROR, WARNING), the part after the `|`."""
        return [line.split(" | ", 1)[-1] for line in self.lines if f" {name} " in line]


@pytest.fixture
def tenant():
    with SimulatedTenant(users=20, seed=5) as running:
        yield running


@pytest.fixture
def splunkd(tenant):
    with SplunkdStandIn() as standin:
        standin.set_conf(
            ACCOUNTS,
            "prod",
            {"auth_type": "oauth2", "base_url": tenant.base_url, "client_id": tenant.keys.client_id},
        )
        standin.set_encrypted(ACCOUNTS, "prod", {"client_secret": tenant.keys.client_secret})
        standin.set_conf(
            ACCOUNTS,
            "legacy",
            {"auth_type": "hmac", "base_url": tenant.base_url, "app_id": tenant.keys.app_id},
        )
        standin.set_encrypted(
            ACCOUNTS,
            "legacy",
            {
                "app_key": tenant.keys.app_key,
                "access_key": tenant.keys.access_key,
                "secret_key": tenant.keys.secret_key,
            },
        )
        standin.set_conf(SETTINGS, "logging", {"loglevel": "INFO"})
        standin.create_collection(RISK_TABLE, [{"_key": email, "email": email} for email in KNOWN])
        standin.create_collection(CONTAINMENT)
        standin.create_collection(LEASES)
        standin.create_collection(LEDGER)
        yield standin


@pytest.fixture
def splunk_home(tmp_path):
    home = tmp_path / "splunk"
    (home / "var" / "log" / "splunk").mkdir(parents=True)
    return home


@pytest.fixture
def run_action(tmp_path, splunkd, splunk_home, tenant):
    """run_action(action, rows, **configuration) -> ActionRun; `payload=` replaces the stdin text, `python=`
    and `bin_dir=` choose the interpreter (with its flags) and the scripts (the repository's by default);
    `fields=` replaces top-level fields of the payload (search_name, sid, owner...).
    The configuration acts for real (dry_run 0) unless a test says otherwise; a parameter given as None is
    left out, as an alert that never set it."""
    runs = []
    numbers = itertools.count()

    def run(
        action: str,
        rows: list[dict[str, str]],
        *,
        payload: str | None = None,
        python: tuple[str, ...] = (sys.executable,),
        bin_dir: Path = BIN,
        fields: dict[str, str] | None = None,
        inject: dict[str, str] | None = None,
        **configuration,
    ) -> ActionRun:
        dispatch = tmp_path / "dispatch" / f"scheduler__admin__search__RMD5_at_1700000000_{next(numbers)}"
        dispatch.mkdir(parents=True)
        results = dispatch / "results.csv.gz"
        names = list(dict.fromkeys(name for row in rows for name in row)) or ["_raw"]
        with gzip.open(results, "wt", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=names)
            writer.writeheader()
            writer.writerows(rows)
        document = {
            "app": "search",
            "owner": "admin",
            "results_file": str(results),
            "results_link": "http://sh1:8000/app/search/search?sid=x",
            "search_name": "Risky users who clicked",
            "search_uri": "/servicesNS/admin/search/saved/searches/Risky",
            "server_host": "sh1",
            "server_uri": splunkd.uri,
            "session_key": splunkd.session_key,
            "sid": dispatch.name,
            "configuration": {
                key: value
                for key, value in {"account": "prod", "group": GROUP, "dry_run": "0", **configuration}.items()
                if value is not None
            },
            **(fields or {}),
        }
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        env["SPLUNK_HOME"] = str(splunk_home)
        if inject:  # devkit/inject's faults (kill at a step, a host clock that is off)
            env.update(inject, PYTHONPATH=str(INJECT))
        log = splunk_home / "var" / "log" / "splunk" / f"ta_mimecast_awareness_{action}_modalert.log"
        with subprocess.Popen(
            [*python, str(bin_dir / f"{action}.py"), "--execute"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        ) as process:
            out, err = process.communicate(json.dumps(document) if payload is None else payload, timeout=120)
        done = subprocess.CompletedProcess(process.args, process.returncode, out, err)
        mine = f" pid={process.pid} "  # this run's lines: runs may overlap
        lines = [line for line in (log.read_text().splitlines() if log.exists() else []) if mine in line]
        everything = done.stderr + "\n".join(lines)
        assert "Traceback" not in everything
        for secret in (
            splunkd.session_key,
            tenant.keys.client_secret,
            tenant.keys.secret_key,
            tenant.keys.app_key,
        ):
            assert secret not in everything
        runs.append(done)
        summaries = [line for line in lines if "| mc_summary=" in line]
        assert len(summaries) <= 1, lines
        rest = [line for line in lines if line not in summaries]
        return ActionRun(done.returncode, done.stderr, rest, "".join(summaries))

    return run


def rows_for(*emails: str, field: str = "user") -> list[dict[str, str]]:
    return [{field: email, "_raw": f"click by {email}"} for email in emails]


def audit_events(splunk_home: Path) -> list[dict]:
    """The audit events the runs wrote to the spool folder that the shipped batch input indexes."""
    folder = splunk_home / "var" / "spool" / "splunk" / "ta_mimecast_awareness_audit"
    return [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))] if folder.exists() else []
