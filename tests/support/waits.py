"""Bounded waits whose budgets grow when the machine is busy.

A test that waits for another process or thread (a broker delivering, a server starting, a child exiting)
polls with ``wait_for`` or gives ``scaled(base_s)`` to a call that takes a timeout. The budget is a bound
for a broken system, never a measurement: ``base_s`` is what an idle machine needs with room to spare, and
it is multiplied by ``time_scale()``:

- ``CS_TEST_TIME_SCALE``, when set (any positive number), is the factor as given;
- otherwise the 1-minute load average per core, clamped to [1, 10]: a machine with twice as many runnable
  processes as cores gives each about half a core, so everything it waits for takes about twice as long.

A wait re-reads the factor each time it checks its deadline and keeps the largest, so a neighbour who
starts a build halfway through a wait extends it. On timeout it fails naming what it waited for, for how
long, and the last value it saw.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

SCALE_ENV = "CS_TEST_TIME_SCALE"
MAX_LOAD_SCALE = 10.0  # past this the machine is unusable for tests anyway; fail instead of waiting for hours
_SHOWN_CHARS = 2000


class WaitTimedOut(AssertionError):
    """What a test waited for did not happen within its (scaled) budget."""


def time_scale() -> float:
    """The factor every test budget is multiplied by (see the module docstring)."""
    override = os.environ.get(SCALE_ENV, "").strip()
    if override:
        try:
            value = float(override)
        except ValueError:
            value = 0.0
        if not value > 0:
            raise ValueError(f"{SCALE_ENV} must be a positive number, got {override!r}")
        return value
    try:
        load = os.getloadavg()[0]
    except OSError:  # no load average on this platform: assume an idle machine
        return 1.0
    return min(MAX_LOAD_SCALE, max(1.0, load / (os.cpu_count() or 1)))


def scaled(base_s: float) -> float:
    """``base_s`` seconds, scaled for the machine's load now: for ``timeout=`` arguments."""
    return base_s * time_scale()


class Deadline:
    """``base_s`` scaled seconds from now; the scale only grows while the deadline is in use."""

    def __init__(self, base_s: float) -> None:
        self.base_s = base_s
        self.started = time.monotonic()
        self.scale = time_scale()

    @property
    def budget_s(self) -> float:
        self.scale = max(self.scale, time_scale())
        return self.base_s * self.scale

    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    def remaining_s(self) -> float:
        return max(0.0, self.budget_s - self.elapsed_s())

    def expired(self) -> bool:
        return self.remaining_s() <= 0.0

    def describe(self) -> str:
        return (
            f"{self.elapsed_s():.1f} s (budget {self.base_s:g} s x load scale {self.scale:.3g}; "
            f"{SCALE_ENV} sets the scale)"
        )


def wait_for[T](
    probe: Callable[[], T],
    done: Callable[[T], bool],
    what: str,
    *,
    base_s: float = 30.0,
    ignore: tuple[type[BaseException], ...] = (),
    first_interval_s: float = 0.05,
    max_interval_s: float = 1.0,
    show: Callable[[T], object] = lambda value: value,
) -> T:
    """Call ``probe`` until ``done(value)``; return that value. Polls with backoff from ``first_interval_s``
    up to ``max_interval_s``. An exception listed in ``ignore`` counts as "not yet" (e.g. a server that does
    not listen yet); any other propagates, so a probe can fail early (e.g. when the awaited process died).
    On timeout, raises ``WaitTimedOut`` with ``what`` and the last value (passed through ``show``)."""
    deadline = Deadline(base_s)
    interval = first_interval_s
    last: object = "(never observed)"
    while True:
        try:
            value = probe()
        except ignore as error:
            last = f"{type(error).__name__}: {error}"
        else:
            if done(value):
                return value
            last = show(value)
        remaining = deadline.remaining_s()
        if remaining <= 0.0:
            shown = repr(last) if not isinstance(last, str) else last
            if len(shown) > _SHOWN_CHARS:
                shown = shown[:_SHOWN_CHARS] + f"... ({len(shown) - _SHOWN_CHARS} more characters)"
            raise WaitTimedOut(f"timed out waiting for {what} after {deadline.describe()}; last observed: {shown}")
        time.sleep(min(interval, remaining))
        interval = min(max_interval_s, interval * 1.5)


def wait_until(condition: Callable[[], bool], what: str, *, base_s: float = 30.0, max_interval_s: float = 1.0) -> None:
    """``wait_for`` a condition with nothing more to show than whether it held."""
    wait_for(condition, bool, what, base_s=base_s, max_interval_s=max_interval_s)
