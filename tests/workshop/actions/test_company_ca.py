"""The alert actions trust the Configuration page's company CA: a gateway signed by a private CA (as behind a
TLS-inspecting proxy) fails the action until the Company CA tab holds that CA."""

from __future__ import annotations

from workshop.tls.conftest import company_ca, company_pem  # noqa: F401 - fixtures
from workshop.tls.conftest import tenant_over_https as tenant  # noqa: F401 - the actions' tenant, over HTTPS

from .conftest import GROUP, SETTINGS, rows_for

ADD = "mimecast_add_to_group"
USER = "ann@simulated.example"


def test_the_action_reaches_a_gateway_signed_by_the_company_ca_once_it_is_set(
    run_action,
    tenant,  # noqa: F811
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
