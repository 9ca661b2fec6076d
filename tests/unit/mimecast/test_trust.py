"""The company CA bundle: what is accepted, what is refused and how the refusal reads (never echoing the
bundle's content, which might hold a pasted private key)."""

from __future__ import annotations

import base64

import pytest
import trustme

from splunk_app.mimecast.trust import MAX_BUNDLE_CHARS, MAX_CERTIFICATES, CaBundleError, company_bundle


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA(organization_name="Example Corp TLS inspection")


def pem_of(ca: trustme.CA) -> str:
    return ca.cert_pem.bytes().decode()


def test_a_certificate_with_text_around_it_is_kept_as_its_certificate_alone(ca: trustme.CA) -> None:
    text = "subject=CN=Example Corp inspection CA\n" + pem_of(ca) + "\n# end of bundle\n"

    bundle = company_bundle(text)

    assert bundle.count("-----BEGIN CERTIFICATE-----") == 1
    assert "subject=" not in bundle and "# end" not in bundle


def test_several_certificates_wrapped_or_flattened_by_a_form_are_all_read(ca: trustme.CA) -> None:
    other = trustme.CA()
    flattened = " ".join(pem_of(other).split("\n"))  # a one-line form field turns newlines into spaces
    continued = pem_of(ca).replace("\n", "\\\n")  # conf-file line continuations

    bundle = company_bundle(continued + flattened)

    assert bundle.count("-----BEGIN CERTIFICATE-----") == 2
    assert bundle == company_bundle(pem_of(ca) + pem_of(other))


def test_a_private_key_is_refused_without_repeating_it(ca: trustme.CA) -> None:
    key = ca.private_key_pem.bytes().decode()

    with pytest.raises(CaBundleError, match="private key") as refused:
        company_bundle(pem_of(ca) + key)

    body = key.splitlines()[1]
    assert body not in str(refused.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "no certificate"),
        ("just some text", "no certificate"),
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "PUBLIC KEY blocks"),
        (
            "-----BEGIN CERTIFICATE-----\n"
            + base64.b64encode(b"not a certificate" * 5).decode()
            + "\n-----END CERTIFICATE-----\n",
            "certificate 1 of 1 is not a valid X.509",
        ),
        ("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", "not a valid X.509"),
    ],
)
def test_what_is_not_a_bundle_of_certificates_is_refused_in_words(text: str, words: str) -> None:
    with pytest.raises(CaBundleError, match=words):
        company_bundle(text)


def test_size_and_count_are_bounded(ca: trustme.CA) -> None:
    with pytest.raises(CaBundleError, match="KiB"):
        company_bundle(pem_of(ca) + " " * MAX_BUNDLE_CHARS)
    with pytest.raises(CaBundleError, match=f"at most {MAX_CERTIFICATES}"):
        company_bundle(pem_of(ca) * (MAX_CERTIFICATES + 1))


@pytest.mark.parametrize(
    ("tail", "words"),
    [
        ("-----BEGIN CERTIFICATE-----\nMIIB", "ends inside a -----BEGIN CERTIFICATE----- block"),
        ("-----BEGIN CERTIFICATE-----\nMIIB\n", "may have been cut when it was copied"),
        ("-----END CERTIFICATE-----\n", "ends no -----BEGIN CERTIFICATE----- block"),
        (
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END X509 CRL-----\n",
            "-----END X509 CRL----- line that ends no",
        ),
    ],
)
def test_a_block_cut_short_or_closed_by_another_label_is_refused_in_words(
    ca: trustme.CA, tail: str, words: str
) -> None:
    with pytest.raises(CaBundleError, match=words):
        company_bundle(pem_of(ca) + tail)


def test_a_block_that_does_not_end_before_the_next_begins_is_refused(ca: trustme.CA) -> None:
    cut = pem_of(ca).split("-----END")[0]

    with pytest.raises(CaBundleError, match="no -----END CERTIFICATE----- line before the next block"):
        company_bundle(cut + pem_of(ca))


def test_markers_that_never_end_fill_the_whole_size_and_are_one_refusal() -> None:
    text = ("-----BEGIN A-----" * (MAX_BUNDLE_CHARS // 17))[:MAX_BUNDLE_CHARS]

    with pytest.raises(CaBundleError, match="BEGIN A"):
        company_bundle(text)
