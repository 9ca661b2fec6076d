"""The roots the client trusts: the public ones (certifi, as requests ships them) plus a company CA bundle
that an administrator may add, because a TLS-inspecting proxy re-signs Mimecast's certificate with its own
CA. Adding roots is the only change: verification is never turned off."""

from __future__ import annotations

import re
import ssl

import certifi
from urllib3.util.ssl_ import create_urllib3_context

# A company bundle is a handful of certificates; this bounds what a setting or a file can make us parse.
MAX_BUNDLE_CHARS = 256 * 1024
MAX_CERTIFICATES = 100
# One BEGIN or END line: a bounded match, tried once per position, so that reading the markers is linear.
_MARKER = re.compile(r"-----(BEGIN|END) ([A-Z0-9 ]{1,40})-----")


class CaBundleError(ValueError):
    """The company CA bundle is not usable; the message says why without repeating its content."""


def company_bundle(text: str) -> str:
    """The certificates of a PEM bundle, one block after another, each one checked to load.

    Text between blocks (subject lines, comments) is ignored. A private key, another kind of block, too
    many certificates or a block that is not a certificate raise CaBundleError.
    """
    if len(text) > MAX_BUNDLE_CHARS:
        raise CaBundleError(
            f"is {len(text)} characters long; a CA bundle is expected under {MAX_BUNDLE_CHARS // 1024} KiB"
        )
    if "PRIVATE KEY" in text:
        raise CaBundleError(
            "holds a private key: give only the CA certificate(s), and replace that key if it was shared"
        )
    blocks = _blocks(text)
    others = sorted({label for label, _ in blocks if label != "CERTIFICATE"})
    if others:
        raise CaBundleError(f"holds {', '.join(others)} blocks; only CERTIFICATE blocks belong in it")
    if not blocks:
        raise CaBundleError("holds no certificate: expected -----BEGIN CERTIFICATE----- blocks (PEM)")
    if len(blocks) > MAX_CERTIFICATES:
        raise CaBundleError(f"holds {len(blocks)} certificates; at most {MAX_CERTIFICATES} are accepted")
    certificates = []
    for number, (_, body) in enumerate(blocks, start=1):
        lines = body.replace("\\", " ").split()  # a conf file's line continuations, if any survived
        pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"
        try:
            ssl.create_default_context(cadata=pem)
        except (ssl.SSLError, ValueError) as err:
            raise CaBundleError(
                f"certificate {number} of {len(blocks)} is not a valid X.509 certificate in PEM"
            ) from err
        certificates.append(pem)
    return "".join(certificates)


def _blocks(text: str) -> list[tuple[str, str]]:
    """(label, body) of each BEGIN ... END block, read in one pass over the markers: each BEGIN must be
    closed by an END of its own label before the next block begins (a lazy pattern that looks for each
    BEGIN's END reads the rest of the text once per BEGIN: 24 s of CPU for 256 KiB of unended markers)."""
    blocks: list[tuple[str, str]] = []
    opened: tuple[str, int] | None = None  # the open block's label, and where its body starts
    for marker in _MARKER.finditer(text):
        kind, label = marker.groups()
        if kind == "BEGIN" and opened is not None:
            raise CaBundleError(
                f"has a -----BEGIN {opened[0]}----- line with no -----END {opened[0]}----- line before the "
                "next block: the certificate may have been cut when it was copied"
            )
        if kind == "BEGIN":
            opened = (label, marker.end())
        elif opened is None or opened[0] != label:
            raise CaBundleError(
                f"has an -----END {label}----- line that ends no -----BEGIN {label}----- block"
            )
        else:
            blocks.append((label, text[opened[1] : marker.start()]))
            opened = None
    if opened is not None:
        raise CaBundleError(
            f"ends inside a -----BEGIN {opened[0]}----- block (no -----END {opened[0]}----- line): the "
            "certificate may have been cut when it was copied"
        )
    return blocks


def trust_context(company_pem: str) -> ssl.SSLContext:
    """A client context as requests builds its own (certifi's roots), plus the company's certificates."""
    context = create_urllib3_context()
    context.load_verify_locations(cafile=certifi.where())
    context.load_verify_locations(cadata=company_bundle(company_pem))
    return context
