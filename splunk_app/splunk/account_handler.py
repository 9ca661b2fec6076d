"""The Configuration page's account REST handler: UCC's own handler, plus the account check on save.

UCC's generated `bin/ta_mimecast_awareness_rh_account.py` imports this class (globalConfig.json's
`restHandlerModule`); it runs only inside splunkd, where `splunk.admin` and the vendored splunktaucclib exist.
"""

from __future__ import annotations

from collections.abc import Mapping

from splunktaucclib.rest_handler.admin_external import AdminExternalHandler, get_splunkd_endpoint
from splunktaucclib.rest_handler.error import RestError

from splunk_app.account_check import check_account, submitted_fields
from splunk_app.splunk.service import SplunkdError, connect
from splunk_app.splunk.settings import load_ca_bundle, load_proxy


class AccountHandler(AdminExternalHandler):
    """Refuses to save an account that cannot read Awareness Training data, saying why."""

    def handleCreate(self, confInfo: object) -> None:
        self._check({})
        AdminExternalHandler.handleCreate(self, confInfo)

    def handleEdit(self, confInfo: object) -> None:
        if self.payload.get("disabled") is None:
            self._check(self._saved())
        AdminExternalHandler.handleEdit(self, confInfo)

    def _saved(self) -> dict[str, str]:
        """The stored account, secrets decrypted: an edit that keeps a secret is checked with it."""
        for entity in self.handler.get(self.callerArgs.id, decrypt=True):
            return {key: str(value) for key, value in entity.content.items()}
        return {}

    def _check(self, saved: Mapping[str, str]) -> None:
        fields = submitted_fields(saved, self.payload)
        try:
            service = connect(get_splunkd_endpoint(), self.getSessionKey())
            proxy = load_proxy(service)
            ca_bundle = load_ca_bundle(service)
        except SplunkdError as err:
            raise RestError(
                400, f"Cannot read the proxy or company CA settings to check the account: {err}"
            ) from err
        result = check_account(fields, proxy, ca_bundle)
        if not result.ok:
            raise RestError(400, result.message)
