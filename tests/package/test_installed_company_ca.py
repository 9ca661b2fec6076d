"""The company CA in the built package, under Splunk's Pythons 3.9 and 3.13 with only the app's lib/ (its
own requests and urllib3, not the dev environment's): an installed alert action reaches a gateway signed by
a private CA through a proxy's CONNECT tunnel once the Company CA tab holds that CA, and not before."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from workshop.actions.conftest import GROUP, SETTINGS, rows_for

from devkit.loopback import Server
from devkit.proxy import forward_proxy
from devkit.simulator import SimulatedTenant

CA = trustme.CA(organization_name="Example Corp TLS inspection")
USER = "ann@simulated.example"


@pytest.fixture
def tenant() -> Iterator[SimulatedTenant]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    CA.issue_cert("127.0.0.1").configure_cert(context)
    with SimulatedTenant(users=20, seed=5, tls=context) as running:
        yield running


def test_installed_action_through_a_tunnel_with_the_company_ca(
    run_action, tenant, splunkd, installed_app: Path, splunk_python: str
) -> None:
    python = (splunk_python, "-E", "-s", "-S")
    bin_dir = installed_app / "bin"
    seen: list[str] = []
    with Server(forward_proxy("squid", "proxy-pass", seen)) as proxy:
        splunkd.set_conf(
            SETTINGS,
            "proxy",
            {
                "proxy_enabled": "1",
                "proxy_url": "127.0.0.1",
                "proxy_port": str(proxy.port),
                "proxy_username": "squid",
            },
        )
        splunkd.set_encrypted(SETTINGS, "proxy", {"proxy_password": "proxy-pass"})
        refused = run_action("mimecast_add_to_group", rows_for(USER), python=python, bin_dir=bin_dir)
        splunkd.set_conf(SETTINGS, "company_ca", {"ca_certificates": CA.cert_pem.bytes().decode()})
        added = run_action("mimecast_add_to_group", rows_for(USER), python=python, bin_dir=bin_dir)

    assert refused.status != 0 and any("TLS certificate" in line for line in refused.lines)
    assert (added.status, added.outcomes()) == (0, [(USER, "added")])
    assert tenant.group_members(GROUP) == {USER}
    assert seen and all(entry.startswith("CONNECT 127.0.0.1:") for entry in seen)
