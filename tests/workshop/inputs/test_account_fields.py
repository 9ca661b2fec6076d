"""An account's fields as the save check reads them and as every run reads them: the same. A pasted key's
trailing line break is stripped by both; a Secret key that is not base64 is refused by both, by name, in one
line and without a traceback."""

from __future__ import annotations

from splunk_app.account_check import check_account
from splunk_app.splunk.settings import ACCOUNT_CONF
from workshop.config.test_account_check import hmac_fields

from .conftest import ACCOUNT


def store(splunkd, fields: dict[str, str]) -> None:
    """Save the account in the stand-in as UCC does: clear fields in the conf, secrets encrypted."""
    clear = ("auth_type", "base_url", "app_id")
    splunkd.standin.set_conf(ACCOUNT_CONF, ACCOUNT, {name: fields[name] for name in clear})
    splunkd.standin.set_encrypted(
        ACCOUNT_CONF, ACCOUNT, {name: value for name, value in fields.items() if name not in clear}
    )


def test_keys_with_a_trailing_line_break_pass_the_check_and_every_run(splunkd, tenant):
    keys = tenant.keys
    fields = hmac_fields(tenant, app_id=keys.app_id + "\n", access_key=keys.access_key + "\r\n")
    store(splunkd, fields)

    checked = check_account(fields)
    result = splunkd.run("mimecast_at_safe_score_summary")

    assert checked.ok, checked.message
    assert result.returncode == 0, result.stderr
    assert len(result.events) == 1
    assert not [line for line in splunkd.log("safe_score_summary") if " ERROR " in line]


def test_a_secret_key_that_is_not_base64_is_named_at_save_and_at_every_run(splunkd, tenant):
    fields = hmac_fields(tenant, secret_key="bm90LWJhc2U2N")  # cut short: its padding is wrong
    store(splunkd, fields)

    checked = check_account(fields)
    result = splunkd.run("mimecast_at_safe_score_summary")

    assert checked.problem == "invalid_field"
    assert checked.message.startswith("The Secret key is not valid base64")
    assert tenant.requests == []  # refused before any call, at save and at run
    assert result.returncode != 0 and result.events == []
    assert "Traceback" not in result.stderr
    (line,) = [line for line in splunkd.log("safe_score_summary") if " ERROR " in line]
    assert "settings need fixing: Mimecast account 'sim': the Secret key is not valid base64" in line
    assert "Configuration page" in line
    assert "unexpected" not in line and "checkpoint folder" not in line


def test_a_line_break_inside_a_key_is_refused_by_name_never_blamed_on_the_checkpoint_folder(splunkd, tenant):
    keys = tenant.keys
    fields = hmac_fields(tenant, access_key=keys.access_key[:8] + "\n" + keys.access_key[8:])
    store(splunkd, fields)

    checked = check_account(fields)
    result = splunkd.run("mimecast_at_safe_score_summary")

    assert checked.problem == "invalid_field" and checked.message.startswith("The Access key holds")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    (line,) = [line for line in splunkd.log("safe_score_summary") if " ERROR " in line]
    assert "the Access key holds a space, line break or control character" in line
    assert "checkpoint folder" not in line
    assert keys.access_key[8:] not in line
