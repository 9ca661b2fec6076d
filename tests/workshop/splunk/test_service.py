from __future__ import annotations

import ssl

import pytest

from splunk_app.splunk import service as splunkd_service


def test_reads_feeds_as_json_with_the_session_key(splunkd, service):
    info = splunkd_service.get_json(service, "server/info", "read server info")

    assert info["entry"][0]["content"]["version"]
    request = splunkd.requests[-1]
    assert request.authorized
    assert request.query["output_mode"] == "json"
    assert request.path == "/servicesNS/nobody/TA-mimecast-awareness/server/info"


def test_a_wrong_session_key_is_refused_in_words(splunkd):
    service = splunkd_service.connect(splunkd.uri, "not-the-session-key")

    with pytest.raises(
        splunkd_service.SplunkdError, match="401 to read server info: call not properly auth"
    ) as caught:
        splunkd_service.get_json(service, "server/info", "read server info")
    assert caught.value.status == 401
    assert "not-the-session-key" not in str(caught.value)


def test_an_unreachable_splunkd_is_said_in_words(splunkd):
    uri = splunkd.uri
    splunkd.__exit__(None, None, None)

    with pytest.raises(
        splunkd_service.SplunkdError, match="could not be reached for read server info"
    ) as caught:
        splunkd_service.get_json(splunkd_service.connect(uri, "key"), "server/info", "read server info")
    assert caught.value.status == 0


@pytest.mark.parametrize("uri", ["127.0.0.1:8089", "ftp://127.0.0.1:8089", "https://127.0.0.1"])
def test_a_malformed_uri_is_refused(uri):
    with pytest.raises(splunkd_service.SplunkdError, match="scheme://host:port"):
        splunkd_service.connect(uri, "key")


def test_https_verifies_against_splunks_ca_when_present(tmp_path, monkeypatch):
    monkeypatch.setenv("SPLUNK_HOME", str(tmp_path))
    assert splunkd_service.splunkd_ssl_context().verify_mode == ssl.CERT_REQUIRED
    monkeypatch.delenv("SPLUNK_HOME")
    context = splunkd_service.splunkd_ssl_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


def test_an_expired_session_key_fault(splunkd, service):
    splunkd.faults.unauthorized = True

    with pytest.raises(splunkd_service.SplunkdError, match="401") as caught:
        splunkd_service.get_json(service, "server/info", "read server info")
    assert caught.value.status == 401
