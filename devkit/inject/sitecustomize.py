"""Faults a test injects into a bin/ script it starts, by putting this folder on the script's PYTHONPATH
(Python imports `sitecustomize` at start-up). Never packaged; the product has no hook of its own.

- DEVKIT_KILL_AT="<n>:<step>": the process kills itself with SIGKILL at its n-th HTTP request (to splunkd
  or to Mimecast, counted from 1), at one of STEPS: "before" the request is sent, or "after" its answer
  arrived (the server has applied it; the script never learns).
- DEVKIT_CLOCK_SHIFT="<seconds>": this host's clock (time.time) runs that far ahead (negative: behind).
"""

from __future__ import annotations

import http.client
import os
import signal
import time

STEPS = ("before", "after")

_kill = os.environ.get("DEVKIT_KILL_AT", "")
_shift = float(os.environ.get("DEVKIT_CLOCK_SHIFT") or 0)

if _shift:
    _real_time = time.time
    time.time = lambda: _real_time() + _shift

if _kill:
    _number, _, _step = _kill.partition(":")
    if _step not in STEPS:
        raise SystemExit(f"DEVKIT_KILL_AT step {_step!r} is not one of {STEPS}")
    _at = int(_number)
    _count = [0]
    _send = http.client.HTTPConnection.putrequest
    _answer = http.client.HTTPConnection.getresponse

    def _putrequest(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        _count[0] += 1
        self._devkit_number = _count[0]
        if _step == "before" and _count[0] == _at:
            os.kill(os.getpid(), signal.SIGKILL)
        return _send(self, *args, **kwargs)

    def _getresponse(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        response = _answer(self, *args, **kwargs)
        if _step == "after" and getattr(self, "_devkit_number", 0) == _at:
            os.kill(os.getpid(), signal.SIGKILL)
        return response

    http.client.HTTPConnection.putrequest = _putrequest  # type: ignore[method-assign]
    http.client.HTTPConnection.getresponse = _getresponse  # type: ignore[method-assign]
