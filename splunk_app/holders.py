"""Who holds a lease, named so that another process can tell at once that the holder has ended.

A holder is `<place>:<pid>:<nonce>`. The place is where a pid names one process: this host's name, its boot
(Linux's boot id) and its pid namespace. A process that finds a holder of its own place whose pid no longer
exists knows the holder was killed (kill -9) and need not wait for the lease to go stale. A clone of the
host (a copied VM that kept its hostname) or a container given the same name is another place, since it
booted on its own or sees other pids: there a pid means nothing, and its holders are waited out.
"""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path


def _place() -> str:
    parts = [socket.gethostname()]
    for read in (_boot_id, _pid_namespace):
        try:
            parts.append(read())
        except OSError:
            parts.append("-")
    return "/".join(parts)


def _boot_id() -> str:
    return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()


def _pid_namespace() -> str:
    return str(os.stat("/proc/self/ns/pid").st_ino)


PLACE = _place().replace(":", "-")


def new_holder() -> str:
    """A name for this process as the holder of a lease, unique to each call."""
    return f"{PLACE}:{os.getpid()}:{secrets.token_hex(6)}"


def ended_here(holder: str) -> bool:
    """Whether a lease's holder was a process of this very place that no longer exists. On a platform that
    tells neither boot nor pid namespace, or where asking about a process could end it (Windows), never:
    the lease is waited out."""
    place, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if place != PLACE or "/-" in PLACE or not pid.isdigit() or os.name != "posix":
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False
