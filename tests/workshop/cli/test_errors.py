"""`mimecast-at` from a shell: every wrong value or broken environment is one line on standard error (or the
check's one answer on standard output) and a non-zero exit status, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devkit.loopback import Server
from devkit.proxy import not_a_gateway
from devkit.simulator import SimulatedTenant
from workshop.config.test_account_check import free_port


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MIMECAST_")}
    return subprocess.run(
        [sys.executable, "-m", "devkit.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**clean, **(env or {})},
        check=False,
    )


def one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


@pytest.fixture(scope="module")
def tenant() -> Iterator[SimulatedTenant]:
    with SimulatedTenant(users=3000, seed=4) as running:
        yield running


def oauth_env(tenant: SimulatedTenant) -> dict[str, str]:
    return {"MIMECAST_CLIENT_ID": tenant.keys.client_id, "MIMECAST_CLIENT_SECRET": tenant.keys.client_secret}


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "a-file"
    path.write_text("x")
    return path


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["simulate", "--users", "-5"], "--users: -5 is out of range"),
        (["simulate", "--port", "70000"], "--port: 70000 is out of range"),
        (["simulate", "--port", "http"], "--port: 'http' is not a whole number"),
        (["demo", "--users", "-1"], "--users: -1 is out of range"),
        (["demo", "--events", "-10"], "--events: -10 is out of range"),
        (["demo", "--out", "{file}"], "is a file: give a folder"),
        (["pull", "safe_score", "--base-url", "https://x.example", "--out", "{folder}"], "is a folder"),
        (["pull", "safe_score", "--base-url", "https://x.example", "--out", "{file}/x"], "is not a folder"),
        (
            ["pull", "safe_score", "--base-url", "https://x.example", "--out", "{folder}/no/x"],
            "does not exist",
        ),
        (["pull", "safe_score", "--base-url", "https://x.example", "--page-size", "501"], "out of range"),
        (["check", "--base-url", "https://x.example", "--proxy", "http://u:p@h:3128"], "not in the URL"),
        (["check", "--base-url", "https://x.example", "--proxy", "h:123456"], "no valid port"),
        (["check", "--base-url", "https://x.example", "--ca-bundle", "{file}"], "holds no certificate"),
        (["check", "--base-url", "https://x.example", "--ca-bundle", "{folder}/none.pem"], "cannot read"),
    ],
)
def test_a_wrong_value_is_one_line_with_status_2(
    args: list[str], words: str, a_file: Path, tmp_path: Path
) -> None:
    filled = [arg.format(file=a_file, folder=tmp_path) for arg in args]

    done = cli(*filled)

    assert done.returncode == 2
    line = one_line(done.stderr)
    assert line.startswith(f"mimecast-at {args[0]}: ") and words in line
    assert done.stdout == ""


def test_a_busy_port_is_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = cli("simulate", "--quiet", "--port", str(taken.getsockname()[1]))

    assert done.returncode == 1
    assert "cannot listen on 127.0.0.1:" in one_line(done.stderr)


def test_a_proxy_given_as_host_and_port_that_does_not_resolve() -> None:
    env = {"MIMECAST_CLIENT_ID": "id", "MIMECAST_CLIENT_SECRET": "secret"}

    done = cli("check", "--base-url", "https://127.0.0.1:9", "--proxy", "proxy.invalid:3128", env=env)

    assert done.returncode == 1
    answer = one_line(done.stdout)
    assert answer.startswith("FAILED (proxy_refused): The proxy proxy.invalid:3128 could not be reached")
    assert "--proxy" in answer and "Proxy tab" not in answer and "None" not in answer


def test_pull_into_a_closed_pipe_stops_with_one_line(tenant: SimulatedTenant) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MIMECAST_")}
    command = [sys.executable, "-m", "devkit.cli", "pull", "safe_score", "--base-url", tenant.base_url]
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**clean, **oauth_env(tenant)},
        text=True,
    ) as pull:
        assert pull.stdout is not None and pull.stderr is not None
        first = pull.stdout.readline()
        pull.stdout.close()  # what `| head -1` does once it has its line
        stderr = pull.stderr.read()
        status = pull.wait(timeout=60)

    assert first.startswith('{"time":')
    assert status == 1
    assert one_line(stderr) == "mimecast-at pull: the output was closed before the end; stopped."


def test_pull_to_a_file_says_what_it_wrote_in_words(tenant: SimulatedTenant, tmp_path: Path) -> None:
    out = tmp_path / "one.jsonl"

    done = cli(
        "pull", "safe_score_summary", "--base-url", tenant.base_url, "--out", str(out), env=oauth_env(tenant)
    )

    assert done.returncode == 0, done.stderr
    assert one_line(done.stderr) == f"pulled safe_score_summary: 1 record, 1 event to {out}, 2 requests"
    assert len(out.read_text().splitlines()) == 1


def hmac_env(tenant: SimulatedTenant, **changed: str) -> dict[str, str]:
    keys = tenant.keys
    env = {
        "MIMECAST_APP_ID": keys.app_id,
        "MIMECAST_APP_KEY": keys.app_key,
        "MIMECAST_ACCESS_KEY": keys.access_key,
        "MIMECAST_SECRET_KEY": keys.secret_key,
    }
    return {**env, **changed}


@pytest.mark.parametrize("command", ["pull", "check"])
def test_a_secret_key_that_is_not_base64_is_named_in_one_line(tenant: SimulatedTenant, command: str) -> None:
    args = ["safe_score"] if command == "pull" else []
    env = hmac_env(tenant, MIMECAST_SECRET_KEY="bm90LWJhc2U2N")
    tenant.clear_requests()

    done = cli(command, *args, "--base-url", tenant.base_url, "--auth", "hmac", env=env)

    assert done.returncode == 1
    line = one_line(done.stderr if command == "pull" else done.stdout)
    assert "MIMECAST_SECRET_KEY is not valid base64" in line
    assert "Secret key" not in line  # the shell's own word for it
    assert tenant.requests == []


def test_a_key_with_a_trailing_line_break_pulls(tenant: SimulatedTenant) -> None:
    env = hmac_env(tenant, MIMECAST_ACCESS_KEY=tenant.keys.access_key + "\n")

    done = cli("pull", "safe_score_summary", "--base-url", tenant.base_url, "--auth", "hmac", env=env)

    assert done.returncode == 0, done.stderr
    assert one_line(done.stderr).startswith("pulled safe_score_summary: 1 record")


@pytest.mark.parametrize("command", ["pull", "check"])
def test_https_to_a_plain_http_port_says_the_port_speaks_plain_http(
    tenant: SimulatedTenant, command: str
) -> None:
    args = ["safe_score"] if command == "pull" else []
    https = tenant.base_url.replace("http://", "https://")

    done = cli(command, *args, "--base-url", https, env=oauth_env(tenant))

    assert done.returncode == 1
    line = one_line(done.stderr if command == "pull" else done.stdout)
    assert f"{https.split('://')[1]} answered in plain HTTP, not TLS: the port in --base-url" in line
    assert "certificate" not in line and "CA" not in line


@pytest.mark.parametrize("command", ["pull", "check"])
def test_a_refused_connection_ends_after_a_few_quick_retries_in_the_shells_words(command: str) -> None:
    args = ["safe_score"] if command == "pull" else []
    address = f"127.0.0.1:{free_port()}"

    done = cli(
        command,
        *args,
        "--base-url",
        f"http://{address}",
        env={"MIMECAST_CLIENT_ID": "i", "MIMECAST_CLIENT_SECRET": "s"},
    )

    assert done.returncode == 1
    retries = [line for line in done.stderr.splitlines() if "trying again" in line]
    assert len(retries) <= 2, retries  # the inputs' policy would wait out five back-offs (about 25 s)
    answer = (done.stderr if command == "pull" else done.stdout).splitlines()[-1]
    assert f"{address} refused the connection (nothing listens on that port)" in answer
    assert "--base-url" in answer and "Base URL" not in answer and "Traceback" not in done.stderr


def test_pull_names_the_credential_variables_when_mimecast_rejects_them(tenant: SimulatedTenant) -> None:
    env = {"MIMECAST_CLIENT_ID": tenant.keys.client_id, "MIMECAST_CLIENT_SECRET": "wrong"}

    done = cli("pull", "safe_score", "--base-url", tenant.base_url, env=env)

    line = one_line(done.stderr)
    assert "check MIMECAST_CLIENT_ID and MIMECAST_CLIENT_SECRET" in line and "as --base-url" in line
    assert "Client secret" not in line and "Base URL" not in line


def test_pull_from_a_host_that_is_not_a_gateway_names_the_option_to_fix() -> None:
    env = {"MIMECAST_CLIENT_ID": "id", "MIMECAST_CLIENT_SECRET": "secret"}
    with Server(not_a_gateway) as server:
        done = cli("pull", "safe_score", "--base-url", f"http://127.0.0.1:{server.port}", env=env)

    line = one_line(done.stderr)
    assert done.returncode == 1
    assert (
        "does not answer as a Mimecast API gateway (HTTP 404): give the gateway of your region as --base-url"
        in line
    )
    assert "Base URL" not in line
