"""The Configuration page's Company CA field, as globalConfig.json declares it (UCC checks the same pattern in
the browser and in the generated REST handler): PEM certificates pass, a bundle holding a private key is
refused before it could be saved in clear in a .conf file."""

from __future__ import annotations

import pytest
import trustme

from splunk_app.mimecast.trust import MAX_BUNDLE_CHARS
from splunk_app.splunk.settings import COMPANY_CA

from . import ucc


def company_ca_field() -> dict:
    return ucc.configuration_field(*COMPANY_CA)


def accepted(text: str) -> bool:
    return ucc.accepts(company_ca_field(), text)


CA = trustme.CA()
PEM = CA.cert_pem.bytes().decode()
KEY = CA.private_key_pem.bytes().decode()


def test_the_field_sits_beside_the_proxy_and_is_optional() -> None:
    names = [tab["name"] for tab in ucc.configuration_tabs()]
    assert names.index(COMPANY_CA[0]) == names.index("proxy") + 1
    assert company_ca_field()["type"] == "textarea" and not company_ca_field().get("required")


# Ids name the cases: the PEM text is a fresh CA's in each process, and pytest-xdist's workers must agree.
@pytest.mark.parametrize(
    ("text", "ok"),
    [(PEM, True), ("\n" + PEM + "subject=x\n" + PEM, True)],
    ids=["one certificate", "a bundle with text between"],
)
def test_pem_certificates_pass(text: str, ok: bool) -> None:
    assert accepted(text) is ok


NOT_CERTIFICATES = [PEM + KEY + PEM, KEY + PEM, PEM.replace("CERTIFICATE", "X509 CRL"), "MIIB..."]


@pytest.mark.parametrize(
    "text", NOT_CERTIFICATES, ids=["a key among certificates", "a key first", "a CRL", "bare base64"]
)
def test_a_private_key_or_what_is_not_certificates_is_refused(text: str) -> None:
    assert not accepted(text)


def test_the_form_bounds_the_size_as_the_loader_does() -> None:
    longest = ucc.longest(company_ca_field())
    assert longest == MAX_BUNDLE_CHARS
