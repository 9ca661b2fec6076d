"""The alert actions trust the Configuration page's company CA: a gateway signed by a private CA (as behind a
TLS-inspecting proxy) fails the action until the Company CA tab holds that CA."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import trustme

from devkit.simulator import SimulatedTenant
from workshop.tls.conftest import company_ca, company_pem, https_tenant_signed_by  # noqa: F401 - fixtures

from .conftest import GROUP, SETTINGS, rows_for

ADD = "mimecast_add_to_group"
USER = "ann@simulated.example"


@pytest.fixture
def tenant(company_ca: trustme.CA) -> Iterator[SimulatedTenant]:  # noqa: F811 - the actions' tenant, over HTTPS
    with https_tenant_signed_by(company_ca, users=20, seed=5) as running:
        yield running


def test_the_action_reaches_a_gateway_signed_by_the_company_ca_once_it_is_set(
    run_action,
    tenant,
    splunkd,
    company_pem: str,  # noqa: F811
):
    refused = run_action(ADD, rows_for(USER))
    splunkd.set_conf(SETTINGS, "company_ca", {"ca_certificates": company_pem})
    done = run_action(ADD, rows_for(USER))

    assert refused.status != 0
    assert any("TLS certificate" in line and "company CA" in line for line in refused.lines)
    assert (done.status, done.outcomes()) == (0, [(USER, "added")])
    assert tenant.group_members(GROUP) == {USER}
