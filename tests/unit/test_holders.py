"""A lease's holder: ended at once only when it was a process of this very host, boot and pid namespace
that no longer exists; a clone of the host that kept its name is never taken for this one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from splunk_app import holders

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="boot id and pid namespace are Linux's"
)


def _ended_pid() -> str:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_a_holder_of_this_place_whose_process_ended_has_ended():
    assert holders.ended_here(f"{holders.PLACE}:{_ended_pid()}:x")
    assert not holders.ended_here(holders.new_holder())  # this very process
    assert holders.new_holder() != holders.new_holder()


@pytest.mark.parametrize(
    "place",
    [
        lambda name, boot, namespace: f"{name}/00000000-0000-0000-0000-000000000000/{namespace}",  # a clone
        lambda name, boot, namespace: f"{name}/{boot}/1",  # a container of the same name
        lambda name, boot, namespace: name,  # named as earlier releases named holders
    ],
)
def test_a_holder_elsewhere_is_never_taken_for_ended_even_with_this_hostname(place):
    name, boot, namespace = holders.PLACE.split("/")
    assert name == socket.gethostname().replace(":", "-")
    assert not holders.ended_here(f"{place(name, boot, namespace)}:{_ended_pid()}:x")


@pytest.mark.parametrize("holder", ["", "garbage", f"{holders.PLACE}:notapid:x", f"{holders.PLACE}::x"])
def test_a_holder_that_names_no_process_is_never_taken_for_ended(holder):
    assert not holders.ended_here(holder)


def test_the_place_names_this_boot_and_pid_namespace():
    _name, boot, namespace = holders.PLACE.split("/")
    with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as handle:
        assert boot == handle.read().strip()
    assert namespace == str(os.stat("/proc/self/ns/pid").st_ino)
