"""A checkpoint damaged between two runs, met by the bin/ script as splunkd runs it: the run goes on,
sends every user again, says so in ONE warning line of the input's log that names the file, and keeps
the damaged file aside for an administrator to look at."""

from __future__ import annotations

import os
import random
import sqlite3

import pytest

from .conftest import users_of

SOURCETYPE = "mimecast:awareness:safe_score"


def _garble(path):
    with open(path, "r+b") as file:
        file.write(random.Random(5).randbytes(4096))


def _other_version(path):
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()


DAMAGES = {
    "emptied": lambda path: open(path, "wb").close(),
    "garbled": _garble,
    "another schema version": _other_version,
    "a folder": lambda path: (os.unlink(path), os.mkdir(path)),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_checkpoint_is_set_aside_and_the_run_sends_everyone_again(splunkd, tenant, damage):
    first = splunkd.run("mimecast_at_safe_score", page_size="8")
    assert first.returncode == 0, first.stderr
    everyone = sorted(users_of(first, SOURCETYPE))
    [checkpoint] = [name for name in os.listdir(splunkd.checkpoints) if name.endswith(".sqlite")]
    assert not users_of(splunkd.run("mimecast_at_safe_score", page_size="8"), SOURCETYPE)  # nothing changed

    DAMAGES[damage](splunkd.checkpoints / checkpoint)
    rerun = splunkd.run("mimecast_at_safe_score", page_size="8")

    assert rerun.returncode == 0, rerun.stderr
    assert sorted(users_of(rerun, SOURCETYPE)) == everyone
    warnings = [line for line in splunkd.log("safe_score") if " WARNING " in line]
    assert len(warnings) == 1, warnings
    assert checkpoint in warnings[0] and "every record is sent again" in warnings[0]
    assert "mimecast_at_safe_score://test" in warnings[0]
    asides = [name for name in os.listdir(splunkd.checkpoints) if name.startswith(checkpoint + ".damaged-")]
    assert len(asides) == 1 and asides[0] in warnings[0]
    assert not [line for line in splunkd.log("safe_score") if " ERROR " in line]
