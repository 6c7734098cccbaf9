"""Devices that watch the lane's own hardware and raise alarms for the agent.

A door contact (``drivers/door.py``) and an OSDP reader (``drivers/osdp.py``) notice what
no credential tells: a door forced or held open, a reader gone silent. The lane gives
each of them its way to raise an alarm when it starts (``Lane.raise_alarm``: an event
with an alert, shown by the console with the other alerts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from portique.access import Reason

Alarm = Callable[[Reason], object]
"""Raises one lane alarm (a reason of ``access.LANE_ALARMS``)."""


class AlarmSource(Protocol):
    """A device that watches the lane's hardware."""

    def watch(self, alarm: Alarm) -> None:
        """Starts watching; ``alarm`` is called for each alarm, from any thread."""

    def close(self) -> None:
        """Stops watching and releases the device (may be called more than once)."""
