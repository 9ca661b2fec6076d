"""A Mimecast gateway behind a TLS-inspecting proxy, as the client meets it: the simulated tenant speaking
HTTPS with a certificate signed by a private company CA that no public root knows, and a forward proxy that
opens CONNECT tunnels to it."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from devkit.loopback import Server
from devkit.proxy import forward_proxy
from devkit.simulator import SimulatedTenant

PROXY_LOGIN = ("squid", "proxy-pass")


def https_tenant_signed_by(ca: trustme.CA, name: str = "127.0.0.1", **options: int) -> SimulatedTenant:
    """A simulated tenant (not started) whose HTTPS certificate for `name` the CA signed."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(context)
    return SimulatedTenant(tls=context, **options)


@pytest.fixture(scope="session")
def company_ca() -> trustme.CA:
    return trustme.CA(organization_name="Example Corp TLS inspection")


@pytest.fixture(scope="session")
def company_pem(company_ca: trustme.CA) -> str:
    return company_ca.cert_pem.bytes().decode()


@pytest.fixture(scope="session")
def company_pem_file(company_pem: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "company-ca.pem"
    path.write_text(company_pem)
    return path


@pytest.fixture(scope="module")
def https_tenant(company_ca: trustme.CA) -> Iterator[SimulatedTenant]:
    with https_tenant_signed_by(company_ca, users=12, seed=3) as running:
        yield running


@pytest.fixture
def proxy() -> Iterator[tuple[Server, list[str]]]:
    """A forward proxy wanting PROXY_LOGIN, and the list of what it served (`CONNECT host:port`, URLs)."""
    seen: list[str] = []
    with Server(forward_proxy(*PROXY_LOGIN, seen)) as server:
        yield server, seen


@pytest.fixture
def tenant_over_https(company_ca: trustme.CA) -> Iterator[SimulatedTenant]:
    """The alert actions' tenant over HTTPS: import it as `tenant` where the actions' fixtures run."""
    with https_tenant_signed_by(company_ca, users=20, seed=5) as running:
        yield running
