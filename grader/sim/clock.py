"""A logical clock: simulated time moves only when the simulation says so, never with the wall.

The cluster is "created" at :data:`EPOCH`; the clock starts a few minutes later so that system
objects show a plausible AGE, and each API command advances it by one second.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

__all__ = ["Clock", "EPOCH", "format_timestamp"]

EPOCH = datetime(2026, 1, 1, 0, 0, 0, tzinfo=timezone.utc)


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, as the API server writes timestamps."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Clock:
    """Simulated time, advanced explicitly."""

    def __init__(self, start: datetime = EPOCH + timedelta(minutes=5)) -> None:
        self.now = start

    def advance(self, seconds: float = 1.0) -> datetime:
        self.now = self.now + timedelta(seconds=seconds)
        return self.now

    def timestamp(self) -> str:
        return format_timestamp(self.now)
