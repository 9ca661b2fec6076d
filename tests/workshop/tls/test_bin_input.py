"""The Company CA tab reaches the inputs: a bin/ input run as splunkd runs it fails on the private CA's
certificate, then pulls once the Configuration page holds that CA."""

from __future__ import annotations

from pathlib import Path

from devkit import modinput
from devkit.simulator import SimulatedTenant
from devkit.splunkd import SplunkdStandIn

INPUT = "mimecast_at_safe_score_summary"


def run_input(standin: SplunkdStandIn, tmp_path: Path) -> modinput.RunResult:
    checkpoints = tmp_path / "modinputs"
    checkpoints.mkdir(exist_ok=True)
    definition = modinput.input_definition(
        f"{INPUT}://behind_inspection",
        {"account": "corp", "index": "mimecast", "interval": "3600"},
        server_uri=standin.uri,
        session_key=standin.session_key,
        checkpoint_dir=str(checkpoints),
    )
    return modinput.run(
        modinput.script_path(INPUT), definition, env={"SPLUNK_HOME": str(tmp_path / "home")}, timeout=120
    )


def test_the_input_trusts_the_company_ca_of_the_configuration_page(
    https_tenant: SimulatedTenant, company_pem: str, tmp_path: Path
) -> None:
    with SplunkdStandIn() as standin:
        modinput.add_account(standin, "corp", https_tenant)

        refused = run_input(standin, tmp_path)
        standin.set_conf("ta_mimecast_awareness_settings", "company_ca", {"ca_certificates": company_pem})
        pulled = run_input(standin, tmp_path)

    log = (tmp_path / "home" / "var" / "log" / "splunk").glob("*.log")
    text = "\n".join(path.read_text() for path in log)
    assert refused.events == []
    assert "company CA" in text
    assert pulled.returncode == 0, pulled.stderr
    assert [event.sourcetype for event in pulled.events] == ["mimecast:awareness:safe_score_summary"]
