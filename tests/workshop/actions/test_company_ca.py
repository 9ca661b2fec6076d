"""The alert actions trust the Configuration page's company CA: a gateway signed by a private CA (as behind a
TLS-inspecting proxy) fails the action until the Company CA tab holds that CA."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import pytest
import trustme

from devkit.simulator import SimulatedTenant

from .conftest import GROUP, SETTINGS, rows_for

ADD = "mimecast_add_to_group"
USER = "ann@simulated.example"
CA = trustme.CA(organization_name="Example Corp TLS inspection")


@pytest.fixture
def tenant() -> Iterator[SimulatedTenant]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    CA.issue_cert("127.0.0.1").configure_cert(context)
    with SimulatedTenant(users=20, seed=5, tls=context) as running:
        yield running


def test_the_action_reaches_a_gateway_signed_by_the_company_ca_once_it_is_set(run_action, tenant, splunkd):
    refused = run_action(ADD, rows_for(USER))
    splunkd.set_conf(SETTINGS, "company_ca", {"ca_certificates": CA.cert_pem.bytes().decode()})
    done = run_action(ADD, rows_for(USER))

    assert refused.status != 0
    assert any("TLS certificate" in line and "company CA" in line for line in refused.lines)
    assert (done.status, done.outcomes()) == (0, [(USER, "added")])
    assert tenant.group_members(GROUP) == {USER}
