"""The Accounts tab's save, through the installed package's UCC-generated REST handler script, under Splunk's
Pythons 3.9 and 3.13 (-E -s -S): a bad account is refused with the account check's words before anything is
written; a good one passes the check and goes on to UCC's own save.

Outside splunkd there is no `splunk.admin` (splunkd's private module that drives REST handlers), so a small
stand-in of it is written here: just the handler base class and constants that splunktaucclib uses.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from workshop.config.test_account_check import oauth2_fields

from devkit.simulator import SimulatedTenant
from devkit.splunkd import SplunkdStandIn

SPLUNK_STUB = {
    "splunk/__init__.py": """
        class RESTException(Exception):
            def __init__(self, statusCode, msg=None):
                super().__init__(msg)
                self.statusCode = statusCode
                self.msg = msg
    """,
    "splunk/admin.py": '''
        import json
        import os
        import sys

        ACTION_CREATE, ACTION_LIST, ACTION_EDIT, ACTION_REMOVE = 1, 2, 4, 8
        CONTEXT_APP_ONLY = 1

        class ArgumentError(Exception):
            pass

        class InternalException(Exception):
            pass

        class CallerArgs:
            def __init__(self, id, data):
                self.id = id
                self.data = {key: [value] for key, value in data.items()}

        class MConfigHandler:
            def __init__(self, action, id, data):
                self.requestedAction = action
                self.callerArgs = CallerArgs(id, data)

            def getSessionKey(self):
                return os.environ["STUB_SESSION_KEY"]

        def init(handler_class, ctxInfo):
            """What splunkd does for a create request: build the handler and call handleCreate."""
            request = json.load(sys.stdin)
            try:
                handler_class(ACTION_CREATE, request["name"], request["fields"]).handleCreate({})
                print(json.dumps({"saved": True}))
            except Exception as err:
                print(json.dumps({"refused": type(err).__name__, "status": getattr(err, "status", None),
                                  "message": getattr(err, "message", str(err))}))
    ''',
}

# Runs the generated handler script as its __main__, as splunkd does, with the stand-in `splunk` importable.
DRIVER = """
import runpy, sys
stub, script = sys.argv[1], sys.argv[2]
sys.path[:0] = [stub]
sys.path.insert(0, script.rsplit("/", 1)[0])
runpy.run_path(script, run_name="__main__")
"""


@pytest.fixture(scope="module")
def stub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("splunk_stub")
    for name, text in SPLUNK_STUB.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(textwrap.dedent(text))
    (folder / "driver.py").write_text(DRIVER)
    return folder


@pytest.fixture(scope="module")
def tenant() -> Iterator[SimulatedTenant]:
    with SimulatedTenant(users=10, seed=5) as running:
        yield running


def save(
    python: str, stub: Path, app: Path, splunkd: SplunkdStandIn, fields: dict[str, str], name: str = "prod"
) -> dict:
    done = subprocess.run(
        [
            python,
            "-E",
            "-s",
            "-S",
            str(stub / "driver.py"),
            str(stub),
            str(app / "bin" / "ta_mimecast_awareness_rh_account.py"),
        ],
        input=json.dumps({"name": name, "fields": fields}),
        capture_output=True,
        text=True,
        timeout=120,
        env={"SPLUNKD_URI": splunkd.uri, "STUB_SESSION_KEY": splunkd.session_key},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_bad_account_is_refused_in_words_before_anything_is_written(
    splunk_python: str, stub: Path, installed_app: Path, tenant: SimulatedTenant
) -> None:
    with SplunkdStandIn() as splunkd:
        answer = save(
            splunk_python,
            stub,
            installed_app,
            splunkd,
            {
                "auth_type": "oauth2",
                "base_url": tenant.base_url,
                "client_id": tenant.keys.client_id,
                "client_secret": "a-wrong-secret",
            },
        )
        writes = [r for r in splunkd.requests if r.method == "POST"]
    assert answer["refused"] == "RestError" and answer["status"] == 400, answer
    assert "rejected the credentials" in answer["message"]
    assert "a-wrong-secret" not in answer["message"]
    assert writes == []


def test_a_good_account_passes_the_check_and_goes_on_to_uccs_save(
    splunk_python: str, stub: Path, installed_app: Path, tenant: SimulatedTenant
) -> None:
    tenant.clear_requests()
    with SplunkdStandIn() as splunkd:
        # The name "default" is one UCC's own create refuses at once, and it gets there only once the check
        # has passed: so the answer shows the check let the account through (the stand-in cannot serve
        # solnlib's Atom-XML credential calls, which the real save would make next).
        answer = save(
            splunk_python,
            stub,
            installed_app,
            splunkd,
            {
                "auth_type": "hmac",
                "base_url": tenant.base_url,
                "app_id": tenant.keys.app_id,
                "app_key": tenant.keys.app_key,
                "access_key": tenant.keys.access_key,
                "secret_key": tenant.keys.secret_key,
            },
            name="default",
        )
    summary = "/api/awareness-training/company/get-safe-score-summary"
    assert [r.status for r in tenant.requests if r.path == summary] == [200]
    assert answer == {
        "refused": "RestError",
        "status": 400,
        "message": '"default" is not allowed for entity name',
    }


def test_a_caller_without_the_capability_is_refused_before_any_call(
    splunk_python: str, stub: Path, installed_app: Path, tenant: SimulatedTenant
) -> None:
    tenant.clear_requests()
    with SplunkdStandIn(capabilities=("search", "list_storage_passwords")) as splunkd:
        answer = save(splunk_python, stub, installed_app, splunkd, oauth2_fields(tenant))
        writes = [r for r in splunkd.requests if r.method == "POST"]
    assert answer["refused"] == "RestError" and answer["status"] == 403, answer
    assert "edit_mimecast_awareness" in answer["message"]
    assert tenant.requests == [] and writes == []


@pytest.mark.parametrize(
    "base_url",
    [
        "http://HOST\\@127.0.0.1",
        "https://evil.example/path",
        "https://user:pw@evil.example",
        "http://10.0.0.1",
    ],
)
def test_uccs_own_validation_runs_before_the_check_calls_out(
    splunk_python: str, stub: Path, installed_app: Path, tenant: SimulatedTenant, base_url: str
) -> None:
    tenant.clear_requests()
    with SplunkdStandIn() as splunkd:
        answer = save(splunk_python, stub, installed_app, splunkd, oauth2_fields(tenant, base_url=base_url))
    assert answer["refused"] == "RestError" and answer["status"] == 400, answer
    assert "Not matching the pattern" in answer["message"], answer  # UCC's validator, before any call
    assert tenant.requests == []


def test_save_without_checking_makes_no_call(
    splunk_python: str, stub: Path, installed_app: Path, tenant: SimulatedTenant
) -> None:
    tenant.clear_requests()
    with SplunkdStandIn() as splunkd:
        fields = oauth2_fields(tenant, client_secret="not-yet-valid", skip_check="1")
        answer = save(splunk_python, stub, installed_app, splunkd, fields, name="default")
    assert tenant.requests == []
    assert answer["message"] == '"default" is not allowed for entity name'  # UCC's own save was reached


def test_save_without_checking_still_refuses_a_secret_key_no_run_could_use(
    splunk_python: str, stub: Path, installed_app: Path, tenant: SimulatedTenant
) -> None:
    tenant.clear_requests()
    fields = {
        "auth_type": "hmac",
        "base_url": tenant.base_url,
        "app_id": tenant.keys.app_id,
        "app_key": tenant.keys.app_key,
        "access_key": tenant.keys.access_key,
        "secret_key": "bm90LWJhc2U2N",
        "skip_check": "1",
    }
    with SplunkdStandIn() as splunkd:
        answer = save(splunk_python, stub, installed_app, splunkd, fields)
        writes = [r for r in splunkd.requests if r.method == "POST"]
    assert answer["refused"] == "RestError" and answer["status"] == 400, answer
    assert answer["message"].startswith("The Secret key is not valid base64")
    assert tenant.requests == [] and writes == []
