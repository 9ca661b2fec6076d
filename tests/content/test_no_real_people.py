"""No real person in any fixture: test data names reserved domains (example, .example, .invalid) or the
simulated tenant's, never an address at a public mailbox provider, where a real person's own mailbox is."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("tests", "fixtures", "devkit", "lookups", "bench", "default")
PUBLIC_MAILBOXES = re.compile(
    r"@(gmail|googlemail|outlook|hotmail|live|msn|yahoo|ymail|icloud|me|aol|gmx|web|proton|protonmail|"
    r"mail|yandex|zoho)\.[a-z.]{2,6}\b",
    re.IGNORECASE,
)
# The people of the one real recording (JupiterOne's public traffic), kept out by name and address.
RECORDED_PEOPLE = re.compile(r"max\.?daum|mdaum1993|jupiterone\.mime-api\.com", re.IGNORECASE)


def tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--", *FOLDERS], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return [ROOT / name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def test_no_fixture_holds_an_address_at_a_public_mailbox_or_a_recorded_person() -> None:
    found = []
    for path in tracked_files():
        if path.resolve() == Path(__file__).resolve():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in PUBLIC_MAILBOXES.finditer(text)]
        found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in RECORDED_PEOPLE.finditer(text)]
    assert found == []


def test_the_real_recording_keeps_its_shape_with_documented_placeholders() -> None:
    recording = (ROOT / "tests/unit/mimecast/cassettes/real-jupiterone-campaign-user-data.yaml").read_text()
    assert "placeholder" in recording.split("interactions:")[0]  # the header says what was replaced
    assert '"name":"Pat Placeholder","email":"pat.placeholder@tenant.example"' in recording
    assert '"name":"","email":"personal.placeholder@mailbox.example"' in recording
