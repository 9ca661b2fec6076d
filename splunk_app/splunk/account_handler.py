"""The Configuration page's account REST handler: UCC's own handler, plus the account check on save.

UCC's generated `bin/ta_mimecast_awareness_rh_account.py` imports this class (globalConfig.json's
`restHandlerModule`); it runs only inside splunkd, where `splunk.admin` and the vendored splunktaucclib exist.

The order matters: splunkd lets only callers with the configuration capability reach a save (restmap.conf,
from globalConfig.json); here the caller's capability is confirmed again, then UCC's own validation runs on
the submitted fields, and only then may the check call out, with nothing but a valid `https://host[:port]`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Callable

from splunktaucclib.rest_handler.admin_external import AdminExternalHandler, get_splunkd_endpoint
from splunktaucclib.rest_handler.error import RestError

from splunk_app import ADMIN_CAPABILITY
from splunk_app.account_check import check_account, field_problem, submitted_fields
from splunk_app.splunk.logs import get_logger, summary_line
from splunk_app.splunk.service import WRITE_CAPABILITIES, SplunkdError, caller_capabilities, connect
from splunk_app.splunk.settings import load_ca_bundle, load_proxy

SKIP_CHECK = "skip_check"
_TRUE = ("1", "true", "yes", "t", "y", "on")


class AccountHandler(AdminExternalHandler):
    """Refuses to save an account that cannot be confirmed, saying why, unless the administrator chose
    "Save without checking"."""

    def handleCreate(self, confInfo: object) -> None:
        self._check(None)
        AdminExternalHandler.handleCreate(self, confInfo)

    def handleEdit(self, confInfo: object) -> None:
        if self.payload.get("disabled") is None:
            self._check(self._saved)
        AdminExternalHandler.handleEdit(self, confInfo)

    def _saved(self) -> dict[str, str]:
        """The stored account, secrets decrypted: an edit that keeps a secret is checked with it."""
        for entity in self.handler.get(self.callerArgs.id, decrypt=True):
            return {key: str(value) for key, value in entity.content.items()}
        return {}

    def _check(self, stored: Callable[[], dict[str, str]] | None) -> None:
        try:
            service = connect(get_splunkd_endpoint(), self.getSessionKey())
            capabilities = caller_capabilities(service)
        except SplunkdError as err:
            raise RestError(400, f"Cannot confirm who is saving the account: {err}") from err
        if not capabilities & WRITE_CAPABILITIES:
            raise RestError(
                403,
                f"Saving a Mimecast account needs the {ADMIN_CAPABILITY} capability (the Mimecast Awareness "
                "admin role) or admin_all_objects.",
            )
        saved: Mapping[str, str] = stored() if stored is not None else {}
        self.endpoint.validate(self.callerArgs.id, dict(self.payload), saved or None)
        self.endpoint.validate_special(self.callerArgs.id, dict(self.payload))
        log = get_logger("account_check")
        fields = submitted_fields(saved, self.payload)
        if str(self.payload.get(SKIP_CHECK) or "").strip().lower() in _TRUE:
            # No call, but a field that no run could use (a Secret key that is not base64) is still refused.
            problem = field_problem(fields)
            log.info(
                summary_line(
                    "check",
                    account=self.callerArgs.id,
                    outcome="skipped" if problem is None else "failed",
                    error_class=problem.problem if problem else None,
                )
            )
            if problem is not None:
                raise RestError(400, problem.message)
            return
        try:
            proxy = load_proxy(service)
            ca_bundle = load_ca_bundle(service)
        except SplunkdError as err:
            raise RestError(
                400, f"Cannot read the proxy or company CA settings to check the account: {err}"
            ) from err
        result = check_account(fields, proxy, ca_bundle)
        log.info(
            summary_line(
                "check",
                account=self.callerArgs.id,
                outcome="ok" if result.ok else "failed",
                error_class=result.problem,
                data_sets=len(result.pulls),
                manages_groups=result.manages_groups,
            )
        )
        log.info("account %s: %s", self.callerArgs.id, result.message)
        if not result.ok:
            raise RestError(400, f"{result.message} To save it anyway, tick Save without checking.")
