"""A Mimecast gateway behind a TLS-inspecting proxy, as the client meets it: the simulated tenant speaking
HTTPS with a certificate signed by a private company CA that no public root knows."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from devkit.simulator import SimulatedTenant


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
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    company_ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)
    with SimulatedTenant(users=12, seed=3, tls=server_context) as running:
        yield running
