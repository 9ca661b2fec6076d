"""Faults a test injects into a bin/ script it starts, by putting this folder on the script's PYTHONPATH
(Python imports `sitecustomize` at start-up). Never packaged; the product has no hook of its own.

- DEVKIT_KILL_AT="<n>:<step>[:<path>]": the process kills itself with SIGKILL at its n-th HTTP request (to
  splunkd or to Mimecast, counted from 1; with a path, the n-th request whose path contains it, such as
  /add-group-member), at one of STEPS: "before" the request is sent, or "after" its answer arrived (the
  server has applied it; the script never learns).
- DEVKIT_CLOCK_SHIFT="<seconds>": this host's clock (time.time) runs that far ahead (negative: behind).
- DEVKIT_TIME_SCALE="<factor>": the process's monotonic clock runs <factor> times as fast, and its sleeps
  last 1/<factor> of what they ask (the wall clock is left alone): a run that waits minutes on Mimecast's
  rate limit, or reads a slow group, does so in seconds, with every time it measures (the lease's beats,
  the client's deadlines) scaled alike.
"""

from __future__ import annotations

import http.client
import os
import signal
import time

STEPS = ("before", "after")

_kill = os.environ.get("DEVKIT_KILL_AT", "")
_shift = float(os.environ.get("DEVKIT_CLOCK_SHIFT") or 0)
_scale = float(os.environ.get("DEVKIT_TIME_SCALE") or 1)

if _shift:
    _real_time = time.time
    time.time = lambda: _real_time() + _shift

if _scale != 1:
    _real_monotonic, _real_sleep = time.monotonic, time.sleep
    _started = _real_monotonic()
    time.monotonic = lambda: _started + (_real_monotonic() - _started) * _scale
    time.sleep = lambda seconds: _real_sleep(seconds / _scale)

if _kill:
    _number, _, _rest = _kill.partition(":")
    _step, _, _path = _rest.partition(":")
    if _step not in STEPS:
        raise SystemExit(f"DEVKIT_KILL_AT step {_step!r} is not one of {STEPS}")
    _at = int(_number)
    _count = [0]
    _send = http.client.HTTPConnection.putrequest
    _answer = http.client.HTTPConnection.getresponse

    def _putrequest(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def]
        if _path not in url:
            self._devkit_number = 0
            return _send(self, method, url, *args, **kwargs)
        _count[0] += 1
        self._devkit_number = _count[0]
        if _step == "before" and _count[0] == _at:
            os.kill(os.getpid(), signal.SIGKILL)
        return _send(self, method, url, *args, **kwargs)

    def _getresponse(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        response = _answer(self, *args, **kwargs)
        if _step == "after" and getattr(self, "_devkit_number", 0) == _at:
            os.kill(os.getpid(), signal.SIGKILL)
        return response

    http.client.HTTPConnection.putrequest = _putrequest  # type: ignore[method-assign]
    http.client.HTTPConnection.getresponse = _getresponse  # type: ignore[method-assign]
