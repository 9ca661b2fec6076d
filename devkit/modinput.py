"""Run a bin/ modular input script the way splunkd does, and read its XML event stream the way splunkd
reads it: for the tests, the package tests and the demo.

splunkd starts the script as a subprocess: with `--scheme` to learn its arguments, with
`--validate-arguments` and a validation document on stdin when an input is saved, and with no argument
and the input definition (server_uri, session_key, checkpoint_dir, the stanza's params) on stdin to run
it. Events arrive on stdout as `<stream><event>...</event>...</stream>`; a script that is killed leaves
the stream unfinished, and splunkd keeps every event that arrived whole.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / "bin"
ACCOUNT_CONF = "ta_mimecast_awareness_account"


@dataclass(frozen=True)
class StreamEvent:
    """One <event> of the stream, as splunkd would index it."""

    data: str
    time: float | None
    sourcetype: str | None
    source: str | None
    index: str | None
    host: str | None
    stanza: str | None


@dataclass
class RunResult:
    returncode: int
    events: list[StreamEvent]
    stdout: str
    stderr: str


def add_account(splunkd: Any, name: str, tenant: Any, auth: str = "oauth2") -> None:
    """Save an account for `tenant` in the splunkd stand-in the way the Configuration page does (the
    secrets encrypted into storage/passwords, `********` in the conf)."""
    keys = tenant.keys
    if auth == "hmac":
        splunkd.set_conf(
            ACCOUNT_CONF, name, {"auth_type": "hmac", "base_url": tenant.base_url, "app_id": keys.app_id}
        )
        secrets = {"app_key": keys.app_key, "access_key": keys.access_key, "secret_key": keys.secret_key}
    else:
        splunkd.set_conf(
            ACCOUNT_CONF,
            name,
            {"auth_type": "oauth2", "base_url": tenant.base_url, "client_id": keys.client_id},
        )
        secrets = {"client_secret": keys.client_secret}
    splunkd.set_encrypted(ACCOUNT_CONF, name, secrets)


def script_path(input_type: str, bin_folder: Path = BIN) -> Path:
    return bin_folder / f"{input_type}.py"


def input_definition(
    stanza: str,
    params: Mapping[str, Any],
    *,
    server_uri: str,
    session_key: str,
    checkpoint_dir: str,
    server_host: str = "splunkd-stand-in",
) -> bytes:
    """The XML that splunkd writes on a modular input's stdin."""
    root = ET.Element("input")
    for name, value in (
        ("server_host", server_host),
        ("server_uri", server_uri),
        ("session_key", session_key),
        ("checkpoint_dir", checkpoint_dir),
    ):
        ET.SubElement(root, name).text = value
    configuration = ET.SubElement(root, "configuration")
    item = ET.SubElement(configuration, "stanza", name=stanza, app="TA-mimecast-awareness")
    _params(item, params)
    return ET.tostring(root)


def validation_definition(
    name: str, params: Mapping[str, Any], *, server_uri: str, session_key: str, checkpoint_dir: str
) -> bytes:
    """The XML that splunkd writes on stdin for `--validate-arguments`."""
    root = ET.Element("items")
    for tag, value in (
        ("server_host", "splunkd-stand-in"),
        ("server_uri", server_uri),
        ("session_key", session_key),
        ("checkpoint_dir", checkpoint_dir),
    ):
        ET.SubElement(root, tag).text = value
    _params(ET.SubElement(root, "item", name=name), params)
    return ET.tostring(root)


def _params(parent: ET.Element, params: Mapping[str, Any]) -> None:
    for key, value in params.items():
        if isinstance(value, (list, tuple)):
            values = ET.SubElement(parent, "param_list", name=key)
            for part in value:
                ET.SubElement(values, "value").text = str(part)
        else:
            ET.SubElement(parent, "param", name=key).text = str(value)


def command(script: Path, python: str | None = None, *args: str) -> list[str]:
    return [python or sys.executable, str(script), *args]


def scheme(script: Path, python: str | None = None, env: Mapping[str, str] | None = None) -> ET.Element:
    """The scheme the script declares (`--scheme`)."""
    done = subprocess.run(  # noqa: S603 -- our own bin/ script under a chosen interpreter
        command(script, python, "--scheme"), capture_output=True, check=True, timeout=60, env=_env(env)
    )
    return ET.fromstring(done.stdout)  # noqa: S314 -- the output of our own script


def validate(
    script: Path, definition: bytes, python: str | None = None, env: Mapping[str, str] | None = None
) -> tuple[bool, str]:
    """(accepted, splunkd's message) for `--validate-arguments`."""
    done = subprocess.run(  # noqa: S603 -- our own bin/ script under a chosen interpreter
        command(script, python, "--validate-arguments"),
        check=False,
        input=definition,
        capture_output=True,
        timeout=60,
        env=_env(env),
    )
    if done.returncode == 0:
        return True, ""
    text = done.stdout.decode("utf-8", "replace").strip()
    message = ET.fromstring(text).findtext("message") if text.startswith("<") else text  # noqa: S314
    return False, message or done.stderr.decode("utf-8", "replace")


def start(
    script: Path, definition: bytes, python: str | None = None, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start a run; the caller reads stdout (and may kill it, as a crash would)."""
    process = subprocess.Popen(  # noqa: S603 -- our own bin/ script under a chosen interpreter
        command(script, python),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(env),
    )
    assert process.stdin is not None
    process.stdin.write(definition)
    process.stdin.close()
    return process


def run(
    script: Path,
    definition: bytes,
    python: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> RunResult:
    """One whole run, as splunkd starts it at each interval."""
    done = subprocess.run(  # noqa: S603 -- our own bin/ script under a chosen interpreter
        command(script, python),
        check=False,
        input=definition,
        capture_output=True,
        timeout=timeout,
        env=_env(env),
    )
    stdout = done.stdout.decode("utf-8", "replace")
    return RunResult(done.returncode, parse_stream(stdout), stdout, done.stderr.decode("utf-8", "replace"))


def parse_stream(text: str | bytes) -> list[StreamEvent]:
    """Every whole <event> of a stream, finished or cut off, in order (an event cut off is dropped)."""
    parser = ET.XMLPullParser(events=("end",))
    found: list[StreamEvent] = []
    for chunk in _chunks(text):
        try:
            parser.feed(chunk)
        except ET.ParseError:
            break
        found.extend(_event(element) for _, element in parser.read_events() if element.tag == "event")
    return found


def _chunks(text: str | bytes) -> Iterable[bytes]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    for start_at in range(0, len(data), 65536):
        yield data[start_at : start_at + 65536]


def _event(element: ET.Element) -> StreamEvent:
    time_text = element.findtext("time")
    return StreamEvent(
        data=element.findtext("data") or "",
        time=float(time_text) if time_text else None,
        sourcetype=element.findtext("sourcetype"),
        source=element.findtext("source"),
        index=element.findtext("index"),
        host=element.findtext("host"),
        stanza=element.get("stanza"),
    )


def _env(extra: Mapping[str, str] | None) -> dict[str, str]:
    """splunkd's children get its environment; ours, without a SPLUNK_HOME unless the caller sets one."""
    env = {key: value for key, value in os.environ.items() if key != "SPLUNK_HOME"}
    env.update(extra or {})
    return env
