"""TLS to splunkd trusts what splunkd's own server.conf trusts: a splunkd whose certificate comes from a
company CA (sslRootCAPath) is reached, Splunk's own CA stays the fallback, and a mismatch names the setting.
The stand-in serves HTTPS with certificates from private CAs made for each test (trustme)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from devkit.splunkd import SplunkdStandIn
from splunk_app.splunk import service as splunkd_service


def https_splunkd(ca: trustme.CA) -> SplunkdStandIn:
    """A stand-in whose certificate names the server (not 127.0.0.1), as a company certificate does."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("splunk-sh1.corp.example").configure_cert(context)
    return SplunkdStandIn(tls=context)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SPLUNK_HOME", str(tmp_path))
    # Splunk's own default CA is there too, but it did not sign this splunkd's certificate.
    trustme.CA().cert_pem.write_to_path(str(write(tmp_path / "etc" / "auth" / "cacert.pem", "")))
    return tmp_path


@pytest.fixture
def company() -> trustme.CA:
    return trustme.CA(organization_name="Example Corp")


@pytest.fixture
def splunkd(company: trustme.CA) -> Iterator[SplunkdStandIn]:
    with https_splunkd(company) as running:
        yield running


def read_info(splunkd: SplunkdStandIn) -> dict:
    service = splunkd_service.connect(splunkd.uri, splunkd.session_key)
    return splunkd_service.get_json(service, "server/info", "read server info")


def test_a_company_ca_named_by_sslrootcapath_is_trusted(home, company, splunkd) -> None:
    company.cert_pem.write_to_path(str(write(home / "etc" / "auth" / "company" / "ca.pem", "")))
    write(
        home / "etc" / "system" / "local" / "server.conf",
        "[general]\nserverName = sh1\n\n[sslConfig]\nsslRootCAPath = $SPLUNK_HOME/etc/auth/company/ca.pem\n",
    )
    assert read_info(splunkd)["entry"][0]["content"]["version"]
    assert splunkd_service.splunkd_ca().path == str(home / "etc" / "auth" / "company" / "ca.pem")


def test_the_local_server_conf_wins_over_the_default_one(home, company, splunkd) -> None:
    company.cert_pem.write_to_path(str(write(home / "local-ca.pem", "")))
    write(home / "etc" / "system" / "default" / "server.conf", "[sslConfig]\nsslRootCAPath = /nowhere.pem\n")
    write(
        home / "etc" / "system" / "local" / "server.conf",
        f"[sslConfig]\nsslRootCAPath = {home}/local-ca.pem\n",
    )
    assert read_info(splunkd)


def test_the_default_server_conf_is_read_when_local_sets_nothing(home, company, splunkd) -> None:
    company.cert_pem.write_to_path(str(write(home / "etc" / "auth" / "corp.pem", "")))
    write(home / "etc" / "system" / "local" / "server.conf", "[sslConfig]\nsslPassword = x\n")
    write(home / "etc" / "system" / "default" / "server.conf", "[sslConfig]\ncaCertFile = corp.pem\n")
    assert read_info(splunkd)
    assert "caCertFile" in splunkd_service.splunkd_ca().setting


def test_splunks_own_ca_is_the_fallback(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SPLUNK_HOME", str(tmp_path))
    splunk_ca = trustme.CA()
    splunk_ca.cert_pem.write_to_path(str(write(tmp_path / "etc" / "auth" / "cacert.pem", "")))
    with https_splunkd(splunk_ca) as splunkd:
        assert read_info(splunkd)
    assert "default CA" in splunkd_service.splunkd_ca().setting


def test_a_mismatch_names_the_setting_to_check(home, splunkd) -> None:
    other = trustme.CA()
    other.cert_pem.write_to_path(str(write(home / "other.pem", "")))
    write(
        home / "etc" / "system" / "local" / "server.conf", f"[sslConfig]\nsslRootCAPath = {home}/other.pem\n"
    )
    with pytest.raises(splunkd_service.SplunkdError, match="could not be verified") as caught:
        read_info(splunkd)
    assert "sslRootCAPath" in str(caught.value) and "server.conf" in str(caught.value)
    assert splunkd.session_key not in str(caught.value)


def test_a_setting_that_names_no_file_says_so(home, splunkd) -> None:
    write(home / "etc" / "system" / "local" / "server.conf", "[sslConfig]\nsslRootCAPath = /no/such/ca.pem\n")
    with pytest.raises(splunkd_service.SplunkdError, match=r"sslRootCAPath.*/no/such/ca\.pem.*not a file"):
        read_info(splunkd)


def test_an_unverifiable_splunkd_is_never_trusted_without_a_ca(tmp_path, monkeypatch, splunkd) -> None:
    monkeypatch.setenv("SPLUNK_HOME", str(tmp_path))  # no server.conf, no cacert.pem: the system's CAs
    with pytest.raises(splunkd_service.SplunkdError, match="could not be verified"):
        read_info(splunkd)
