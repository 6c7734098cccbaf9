"""The errors a lane can meet: devices that do not open, a missing or bad snapshot, the link."""

from __future__ import annotations

from portique.errors import BadInputError, ConfigurationError, PortiqueError


class LaneError(PortiqueError):
    """Something the lane runtime cannot do; the message says what to check."""

    code = "lane"


class CameraError(LaneError):
    """The camera cannot be opened or stopped delivering frames."""

    code = "camera"


class BadgeReaderError(LaneError):
    """The badge reader cannot be opened or read."""

    code = "badge_reader"


class SnapshotError(ConfigurationError):
    """The lane's policy snapshot cannot be read, is of an unknown format, or is exposed."""

    code = "lane_snapshot"


class NoSnapshotError(LaneError):
    """The lane has never received a policy snapshot: it cannot decide yet."""

    code = "no_snapshot"


class LinkError(ConfigurationError):
    """The lane link (broker settings, link key) is misconfigured."""

    code = "lane_link"


class EventFormatError(BadInputError):
    """A passage event or a message between lane and server is malformed."""

    code = "bad_event"
