from __future__ import annotations

import pytest

from splunk_app.mimecast import HmacCredentials, OAuth2Credentials, Proxy
from splunk_app.splunk import logs, settings

ACCOUNTS = "ta_mimecast_awareness_account"
SETTINGS = "ta_mimecast_awareness_settings"


def test_oauth2_account_with_its_secret_from_storage_passwords(splunkd, service):
    splunkd.set_conf(
        ACCOUNTS,
        "prod",
        {"auth_type": "oauth2", "base_url": "https://api.services.mimecast.com/", "client_id": "cid"},
    )
    splunkd.set_encrypted(ACCOUNTS, "prod", {"client_secret": "oauth-secret-value"})

    account = settings.load_account(service, "prod")

    assert account.name == "prod"
    assert account.base_url == "https://api.services.mimecast.com"
    assert account.credentials == OAuth2Credentials(client_id="cid", client_secret="oauth-secret-value")
    assert "oauth-secret-value" not in repr(account)


def test_hmac_account_with_long_secrets_split_as_ucc_stores_them(splunkd, service):
    secret_key = "k" * 400
    splunkd.set_conf(
        ACCOUNTS,
        "legacy",
        {"auth_type": "hmac", "base_url": "https://eu-api.mimecast.com", "app_id": "app-id"},
    )
    splunkd.set_encrypted(
        ACCOUNTS,
        "legacy",
        {"app_key": "app-key-value", "access_key": "access-key-value", "secret_key": secret_key},
    )
    splunkd.set_encrypted(ACCOUNTS, "other", {"client_secret": "unrelated"})

    account = settings.load_account(service, "legacy")

    assert account.credentials == HmacCredentials(
        app_id="app-id", app_key="app-key-value", access_key="access-key-value", secret_key=secret_key
    )


def test_a_secret_stored_whole_by_an_older_ucc_is_read_too(splunkd, service):
    splunkd.set_conf(
        ACCOUNTS,
        "prod",
        {"base_url": "https://api.services.mimecast.com", "client_id": "cid", "client_secret": "********"},
    )
    splunkd.set_password(settings.realm(ACCOUNTS), "prod", '{"client_secret": "whole"}')

    assert settings.load_account(service, "prod").credentials.client_secret == "whole"


def test_loaded_secrets_are_masked_in_every_log_line(splunkd, service):
    splunkd.set_conf(ACCOUNTS, "prod", {"base_url": "https://api.services.mimecast.com", "client_id": "cid"})
    splunkd.set_encrypted(ACCOUNTS, "prod", {"client_secret": "zq9-unguessable"})

    settings.load_account(service, "prod")

    assert logs.scrub("upstream said: bad client zq9-unguessable") == "upstream said: bad client ********"


def test_unknown_account_says_where_to_add_it(splunkd, service):
    with pytest.raises(settings.SettingsError, match=r"account 'nope' is not configured.*Configuration page"):
        settings.load_account(service, "nope")


def test_missing_fields_and_secrets_are_listed(splunkd, service):
    splunkd.set_conf(ACCOUNTS, "half", {"auth_type": "hmac", "app_id": "x"})
    splunkd.set_encrypted(ACCOUNTS, "half", {"app_key": "k"})

    with pytest.raises(settings.SettingsError, match="'half' lacks base_url, access_key, secret_key"):
        settings.load_account(service, "half")


def test_unknown_auth_type_is_refused(splunkd, service):
    splunkd.set_conf(ACCOUNTS, "odd", {"auth_type": "basic", "base_url": "https://x"})

    with pytest.raises(settings.SettingsError, match="auth_type 'basic'"):
        settings.load_account(service, "odd")


def test_proxy_off_or_absent_is_none(splunkd, service):
    assert settings.load_proxy(service) is None
    splunkd.set_conf(
        SETTINGS, "proxy", {"proxy_enabled": "0", "proxy_url": "proxy.example", "proxy_port": "3128"}
    )
    assert settings.load_proxy(service) is None


def test_proxy_with_password(splunkd, service):
    splunkd.set_conf(
        SETTINGS,
        "proxy",
        {
            "proxy_enabled": "1",
            "proxy_type": "http",
            "proxy_url": "proxy.example",
            "proxy_port": "3128",
            "proxy_username": "alice",
        },
    )
    splunkd.set_encrypted(SETTINGS, "proxy", {"proxy_password": "proxy-pass"})

    assert settings.load_proxy(service) == Proxy(
        url="http://proxy.example:3128", username="alice", password="proxy-pass"
    )


def test_proxy_without_credentials(splunkd, service):
    splunkd.set_conf(SETTINGS, "proxy", {"proxy_enabled": "true", "proxy_url": "http://proxy.example:8080"})

    assert settings.load_proxy(service) == Proxy(
        url="http://proxy.example:8080", username=None, password=None
    )


def test_enabled_proxy_without_host_is_refused(splunkd, service):
    splunkd.set_conf(SETTINGS, "proxy", {"proxy_enabled": "1"})

    with pytest.raises(settings.SettingsError, match="no host"):
        settings.load_proxy(service)


@pytest.mark.parametrize(
    ("stored", "level"), [(None, "INFO"), ("debug", "DEBUG"), ("ERROR", "ERROR"), ("loud", "INFO")]
)
def test_log_level(splunkd, service, stored, level):
    if stored is not None:
        splunkd.set_conf(SETTINGS, "logging", {"loglevel": stored})

    assert settings.load_log_level(service) == level


def test_secrets_are_asked_for_this_apps_realm_only(splunkd, service):
    splunkd.set_conf(
        ACCOUNTS, "prod", {"auth_type": "oauth2", "base_url": "https://x.example", "client_id": "c"}
    )
    splunkd.set_encrypted(ACCOUNTS, "prod", {"client_secret": "mine"})
    settings.load_account(service, "prod")
    (asked,) = [r for r in splunkd.requests if r.path.endswith("storage/passwords")]
    assert asked.query["search"] == f"realm={settings.realm(ACCOUNTS)}"


def test_no_company_ca_is_none(splunkd, service):
    assert settings.load_ca_bundle(service) is None
    splunkd.set_conf(SETTINGS, "company_ca", {"ca_certificates": "  "})
    assert settings.load_ca_bundle(service) is None


def test_the_company_ca_as_the_configuration_page_saves_it(splunkd, service):
    import trustme

    pem = trustme.CA().cert_pem.bytes().decode()
    splunkd.set_conf(SETTINGS, "company_ca", {"ca_certificates": "\n" + pem + "\n"})

    assert settings.load_ca_bundle(service) == pem


def test_a_company_ca_that_is_not_pem_certificates_says_where_to_fix_it(splunkd, service):
    splunkd.set_conf(SETTINGS, "company_ca", {"ca_certificates": "MIIB not a pem"})

    with pytest.raises(settings.SettingsError, match=r"Company CA tab .*no certificate"):
        settings.load_ca_bundle(service)


def test_the_accounts_allow_list_of_groups_is_read_with_it(splunkd, service):
    fields = {"base_url": "https://api.services.mimecast.com", "client_id": "cid"}
    splunkd.set_conf(
        ACCOUNTS, "prod", {**fields, "groups_allowed": "High-risk users\nSOC watch, high-risk USERS"}
    )
    splunkd.set_conf(ACCOUNTS, "any", fields)
    for name in ("prod", "any"):
        splunkd.set_encrypted(ACCOUNTS, name, {"client_secret": "s"})

    assert settings.load_account(service, "prod").groups_allowed == ("High-risk users", "SOC watch")
    assert settings.load_account(service, "any").groups_allowed == ()


def test_an_allow_list_that_is_not_a_list_of_groups_names_the_account_and_the_page(splunkd, service):
    fields = {"base_url": "https://api.services.mimecast.com", "client_id": "cid", "groups_allowed": "a\tb"}
    splunkd.set_conf(ACCOUNTS, "prod", fields)
    splunkd.set_encrypted(ACCOUNTS, "prod", {"client_secret": "s"})

    with pytest.raises(settings.SettingsError) as raised:
        settings.load_account(service, "prod")
    words = str(raised.value)
    assert words.startswith("Mimecast account 'prod': Groups the actions may change holds 'a\\tb'")
    assert words.endswith(": edit it on the add-on's Configuration page")
