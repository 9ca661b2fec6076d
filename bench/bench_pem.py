"""What the company CA bundle costs to read at every run: CPU seconds for `company_bundle` over 256 KiB
bundles (the most the Configuration page's field accepts) of several shapes, an honest one and the ones a
scan that is not linear chokes on (blocks that never end, or end with another label)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import trustme

from splunk_app.mimecast.trust import MAX_BUNDLE_CHARS, MAX_CERTIFICATES, CaBundleError, company_bundle

BEGIN = "-----BEGIN CERTIFICATE-----\n"


def filled(unit: str) -> str:
    """`unit` repeated up to the size limit."""
    return (unit * (MAX_BUNDLE_CHARS // len(unit) + 1))[:MAX_BUNDLE_CHARS]


def shapes() -> dict[str, str]:
    certificates = "".join(
        trustme.CA(organization_name=f"Example CA {n}").cert_pem.bytes().decode()
        for n in range(MAX_CERTIFICATES)
    )
    comment = "# " + "x" * 76 + "\n"
    one = certificates[: certificates.index("-----END CERTIFICATE-----") + 26]
    return {
        f"{MAX_CERTIFICATES} certificates and comments": certificates
        + filled(comment)[: MAX_BUNDLE_CHARS - len(certificates)],
        "one certificate in marker-like text": filled("-----BEGIN certificate-----\n")[: -len(one)] + one,
        "BEGIN lines that never end": filled(BEGIN),
        "short BEGIN markers that never end": filled("-----BEGIN A-----"),
        "BEGIN lines, one END far away": filled(BEGIN)[: MAX_BUNDLE_CHARS - 30] + "-----END CERTIFICATE-----",
        "BEGIN and END of other labels": filled(
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END X509 CRL-----\n"
        ),
    }


def cpu_seconds(work: Callable[[], object]) -> tuple[float, str]:
    started = time.process_time()
    try:
        work()
        outcome = "accepted"
    except CaBundleError as err:
        outcome = "refused: " + str(err)[:60]
    return time.process_time() - started, outcome


def main() -> int:
    print(f"company_bundle over {MAX_BUNDLE_CHARS // 1024} KiB bundles (Python {sys.version.split()[0]})")
    print(f"{'shape':<36} {'KiB':>5} {'CPU s':>8}  outcome")
    for name, text in shapes().items():
        seconds, outcome = cpu_seconds(lambda text=text: company_bundle(text))
        print(f"{name:<36} {len(text) / 1024:>5.0f} {seconds:>8.3f}  {outcome}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
