"""The SOAR app's driver: runs one action as the SDK's own local runner does (`python src/app.py action
<name> -a asset.json -p params.json`, a process of its own under the SOAR app's Python) and reads back
what the runner prints: each result's status, data, summary and message, and on poll's containers. The
demo and tests/soar use it; nothing here is shipped."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "soar_app" / "src" / "app.py"
PYTHON = ROOT / ".venv-soar" / "bin" / "python"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_RESULT = re.compile(
    r"Action success: (?P<ok>True|False)\nResult data: (?P<data>.*?)\nResult summary: (?P<summary>.*?)\n"
    r"Result message: (?P<message>.*?)\nObjects successful/total:",
    re.S,
)


@dataclass
class Result:
    ok: bool
    data: list[dict[str, Any]]
    summary: dict[str, Any]
    message: str


@dataclass
class SoarRun:
    """One run of the local runner: its exit status, its results, the containers on poll made, and
    everything it printed (for checks that nothing leaked)."""

    status: int
    output: str
    results: list[Result] = field(default_factory=list)
    containers: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(result.ok for result in self.results)

    @property
    def message(self) -> str:
        return self.results[0].message if self.results else ""

    @property
    def data(self) -> list[dict[str, Any]]:
        return [item for result in self.results for item in result.data]


def asset_for(base_url: str, keys: Any, auth: str = "oauth2", **extra: Any) -> dict[str, Any]:
    """An asset for a tenant's keys (the simulated tenant's `keys`)."""
    if auth == "hmac":
        secrets = {
            "app_id": keys.app_id,
            "app_key": keys.app_key,
            "access_key": keys.access_key,
            "secret_key": keys.secret_key,
        }
    else:
        secrets = {"client_id": keys.client_id, "client_secret": keys.client_secret}
    return {"base_url": base_url, "auth_type": auth, **secrets, **extra}


def start(
    action: str,
    asset: dict[str, Any],
    params: dict[str, Any] | None,
    state_dir: Path,
    *,
    app: Path = APP,
    python: Path = PYTHON,
    pythonpath: str | None = str(ROOT),
) -> tuple[subprocess.Popen[str], Path]:
    """The runner started for one action (the caller waits for it, or kills it)."""
    folder = Path(tempfile.mkdtemp(prefix="soar-run-"))
    (folder / "asset.json").write_text(json.dumps(asset), encoding="utf-8")
    command = [str(python), str(app), "action", action, "-a", str(folder / "asset.json")]
    if params is not None:
        (folder / "params.json").write_text(json.dumps(params), encoding="utf-8")
        command += ["-p", str(folder / "params.json")]
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and k != "PYTHONPATH"}
    env["MIMECAST_SOAR_STATE_DIR"] = str(state_dir)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath  # the repository's splunk_app; a built package carries its own
    process = subprocess.Popen(  # noqa: S603 -- the app under the SOAR venv's Python, no shell
        command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    return process, folder


def run(
    action: str,
    asset: dict[str, Any],
    params: dict[str, Any] | None,
    state_dir: Path,
    *,
    timeout: float = 180,
    **how: Any,
) -> SoarRun:
    process, _folder = start(action, asset, params, state_dir, **how)
    output, _ = process.communicate(timeout=timeout)
    return read(process.returncode, output)


def read(status: int, output: str) -> SoarRun:
    """The runner's printout as results (data as JSON, the summary as the dict it prints)."""
    text = _ANSI.sub("", output)
    found = SoarRun(status, text)
    for match in _RESULT.finditer(text):
        summary = match.group("summary").strip()
        found.results.append(
            Result(
                match.group("ok") == "True",
                _as_list(json.loads(match.group("data"))),
                ast.literal_eval(summary) if summary not in ("", "None") else {},
                match.group("message"),
            )
        )
    found.containers = re.findall(r"^Creating container: (.*)$", text, re.M)
    return found


def _as_list(data: Any) -> list[dict[str, Any]]:
    return data if isinstance(data, list) else [data]


def demo(say: Callable[[str], None] = print) -> int:
    """`make demo`'s SOAR step: the app answers get user risk for two users of a simulated tenant, one
    by email and one as `DOMAIN\\user`, through the SDK's local runner."""
    if not PYTHON.exists():
        say(f"SOAR app: skipped, its venv is missing ({PYTHON}); make .venv-soar/bin/.ready builds it")
        return 1
    from devkit.simulator import SimulatedTenant  # noqa: PLC0415 -- the driver itself needs no tenant

    with SimulatedTenant(users=200, seed=7) as tenant, tempfile.TemporaryDirectory() as state:
        asset = asset_for(tenant.base_url, tenant.keys)
        users = sorted(record["emailAddress"].lower() for record in tenant.expected_users())
        say(f"\nSOAR app (soar_app/), run by splunk-soar-sdk's local runner against {tenant.base_url}:")
        for asked in (users[0], f"SIMULATED\\{users[1].split('@')[0]}"):
            answer = run("get_user_risk", asset, {"user": asked}, Path(state))
            say(f"  get user risk {asked}")
            if not answer.ok:
                say(f"    failed: {answer.message}")
                return 1
            say(f"    {_described(answer.data[0])}")
    return 0


def _described(user: dict[str, Any]) -> str:
    if not user["found"]:
        return f"not a user of the tenant ({user['match']})"
    parts = [
        f"{user['email']} (matched by {user['match']}): SAFE grade {user['safe_grade'] or 'none'}",
        "components "
        + "/".join(user[n] or "-" for n in ("human_error", "engagement", "knowledge", "sentiment")),
        f"watch list {'yes (' + user['watch_list_count'] + ')' if user['watch_list'] else 'no'}",
        f"training {user['training_correct'] or 0} correct, {user['training_incorrect'] or 0} incorrect",
    ]
    clicks = [r["campaign_name"] for r in user["phishing_results"] if r["status"] in ("clicked", "submitted")]
    parts.append(f"clicked in {', '.join(clicks)}" if clicks else "no recent phishing click")
    return "; ".join(parts)


if __name__ == "__main__":
    raise SystemExit(demo())
