"""The company CA: a gateway whose certificate a private CA signed is refused until that CA is given, then
reached directly and through a proxy's CONNECT tunnel; verification never goes off (a certificate for
another name stays refused). The account check's TLS answer points at the setting."""

from __future__ import annotations

import dataclasses
import ssl

import pytest
import trustme

from devkit.loopback import Server
from devkit.simulator import SimulatedTenant
from splunk_app.account_check import check_account
from splunk_app.mimecast import Client, Proxy, TlsError
from splunk_app.mimecast.retry import RetryPolicy
from splunk_app.mimecast.trust import trust_context

from .conftest import PROXY_LOGIN, https_tenant_signed_by

NO_RETRY = RetryPolicy(max_retries=0)


def proxy_of(server: Server) -> Proxy:
    username, password = PROXY_LOGIN
    return Proxy(url=f"http://127.0.0.1:{server.port}", username=username, password=password)


def summary(tenant: SimulatedTenant, **options: object) -> dict:
    client = Client(tenant.base_url, tenant.hmac, retry=NO_RETRY, **options)  # type: ignore[arg-type]
    return client.post("safe_score_summary", data=[])


def account_fields(tenant: SimulatedTenant, auth: str) -> dict[str, str]:
    """The account as the Configuration page submits it."""
    credentials = tenant.oauth2 if auth == "oauth2" else tenant.hmac
    return {"auth_type": auth, "base_url": tenant.base_url, **dataclasses.asdict(credentials)}


def test_the_gateway_signed_by_the_company_ca_is_refused_without_it(https_tenant: SimulatedTenant) -> None:
    assert https_tenant.base_url.startswith("https://")
    with pytest.raises(TlsError, match="company CA"):
        summary(https_tenant)


def test_with_the_company_ca_the_gateway_answers(https_tenant: SimulatedTenant, company_pem: str) -> None:
    answer = summary(https_tenant, ca_bundle=company_pem)

    assert answer["data"], answer


def test_the_public_roots_stay_trusted_beside_the_company_ca(company_pem: str) -> None:
    context = trust_context(company_pem)
    roots = context.get_ca_certs()
    subjects = {dict(item[0] for item in cert["subject"]).get("organizationName") for cert in roots}

    assert "Example Corp TLS inspection" in subjects
    assert len(roots) > 50  # certifi's public roots are there too
    assert context.verify_mode == ssl.CERT_REQUIRED


def test_through_a_proxy_tunnel_with_the_company_ca(
    https_tenant: SimulatedTenant, company_pem: str, proxy: tuple[Server, list[str]]
) -> None:
    server, seen = proxy

    answer = summary(https_tenant, proxy=proxy_of(server), ca_bundle=company_pem)

    assert answer["data"]
    assert seen == [f"CONNECT {https_tenant.base_url.removeprefix('https://')}"]


def test_through_a_proxy_tunnel_without_the_company_ca(
    https_tenant: SimulatedTenant, proxy: tuple[Server, list[str]]
) -> None:
    server, seen = proxy

    with pytest.raises(TlsError):
        summary(https_tenant, proxy=proxy_of(server))
    assert seen, "the tunnel was opened; the refusal is the certificate's"


def test_a_certificate_for_another_name_stays_refused(company_ca: trustme.CA, company_pem: str) -> None:
    with (
        https_tenant_signed_by(company_ca, "gateway.example.net", users=2) as tenant,
        pytest.raises(TlsError),
    ):
        summary(tenant, ca_bundle=company_pem)


def test_the_account_check_points_at_the_company_ca_setting(
    https_tenant: SimulatedTenant, company_pem: str
) -> None:
    fields = account_fields(https_tenant, "oauth2")

    refused = check_account(fields)
    passed = check_account(fields, ca_bundle=company_pem)

    assert refused.problem == "tls_unverified"
    assert "Company CA tab" in refused.message
    assert passed.ok, passed.message


def test_the_account_check_through_the_proxy_with_the_company_ca(
    https_tenant: SimulatedTenant, company_pem: str, proxy: tuple[Server, list[str]]
) -> None:
    server, seen = proxy

    result = check_account(account_fields(https_tenant, "hmac"), proxy_of(server), company_pem)

    assert result.ok, result.message
    assert seen
