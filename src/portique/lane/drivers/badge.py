"""Credential readers: keyboard-wedge readers and QR scanners that type a line, serial
readers, simulated ones.

Every reader gives one line per credential presented. A badge reader's UID comes in the
canonical form of ``credentials.normalize_badge_uid``. A QR scanner types the text form
of the code it read: a line starting with ``PQ:`` is a QR code's text, given whole, and
:func:`presented` turns it into the credential it carries. A line that is neither (a
misread, a key pressed by hand) is given as typed: the decision engine refuses it as
unreadable, so the person sees that the lane read something and can present it again.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Protocol, TextIO

import serial

from portique.access import BadgeUid, Presented, QrPayload
from portique.credentials import (
    CredentialError,
    InvalidBadgeUidError,
    normalize_badge_uid,
    payload_from_text,
)
from portique.credentials.text import MAX_TEXT_LENGTH, TEXT_PREFIX
from portique.lane.errors import BadgeReaderError

log = logging.getLogger(__name__)

MAX_LINE = 128
"""Longer lines are not badge UIDs (a 10-byte UID with separators is 29 characters)."""
MAX_QR_LINE = MAX_TEXT_LENGTH + 16
"""A QR scanner's line is at most a credential's text form (and some padding)."""

_FRAMING = "\x02\x03\r\n\x00"  # STX/ETX framing of serial RFID readers, line ends, padding


class BadgeReader(Protocol):
    """A reader of credentials: badge UIDs, and QR codes' text from scanners."""

    def read(self, timeout: float | None = None) -> str | None:
        """The next line read (a UID, or a QR text ``PQ:...``), waiting up to
        ``timeout`` seconds (None: forever); None when none came, or the reader is
        closed."""

    def close(self) -> None:
        """Releases the reader."""


def is_qr_text(line: str) -> bool:
    """Whether a reader's line is a QR code's text (``PQ:``, in any case: a scanner
    typing with Caps Lock on)."""
    return line[: len(TEXT_PREFIX)].upper() == TEXT_PREFIX


def badge_uid(line: str) -> str | None:
    """What a reader's line stands for: a QR text given whole, a canonical UID, or
    the line as typed; None for an empty line."""
    text = line.strip(_FRAMING + " \t")
    if not text:
        return None
    if is_qr_text(text):
        return text[:MAX_QR_LINE]
    try:
        return normalize_badge_uid(text)
    except InvalidBadgeUidError:
        return text[:MAX_LINE]


def presented(line: str) -> Presented | None:
    """The credential a reader's line presents: the payload of a QR text (``PQ:...``;
    damaged text is presented as it is, and refused as unreadable), else a badge UID.
    None for an empty line."""
    text = badge_uid(line)
    if text is None:
        return None
    if not is_qr_text(text):
        return BadgeUid(text)
    try:
        return QrPayload(payload_from_text(text))
    except CredentialError:
        return QrPayload(text.encode("utf-8", errors="replace"))


class PumpedReader:
    """A reader whose lines come from a background thread (a stream, a device): the
    thread calls :meth:`_deliver` for each line typed and :meth:`_ended` when its source
    runs dry; the lane calls :meth:`read`."""

    def __init__(self) -> None:
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._closed = threading.Event()

    @property
    def closed(self) -> bool:
        """True once the source has ended (or :meth:`close` was called) and every line
        was read."""
        return self._closed.is_set() and self._lines.empty()

    def read(self, timeout: float | None = None) -> str | None:
        if self.closed:
            return None
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._closed.set()
        self._lines.put(None)

    def _deliver(self, line: str) -> None:
        text = badge_uid(line)
        if text is not None:
            self._lines.put(text)

    def _ended(self) -> None:
        self._closed.set()
        self._lines.put(None)


class KeyboardWedgeReader(PumpedReader):
    """A USB reader or QR scanner that types what it read and Enter, like a keyboard:
    reads lines from a text stream (standard input by default) in a background thread."""

    def __init__(self, stream: TextIO | None = None) -> None:
        import sys

        super().__init__()
        self._stream = stream if stream is not None else sys.stdin
        self._thread = threading.Thread(target=self._pump, name="portique-wedge", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        try:
            for line in self._stream:
                if self._closed.is_set():
                    break
                self._deliver(line)
        except (OSError, ValueError) as exc:
            log.warning("the keyboard-wedge reader stopped: %s", exc)
        finally:
            self._ended()


def open_serial(port: str, what: str, *, baudrate: int, timeout: float) -> Any:
    """The pyserial port ``port`` (a device or a URL such as ``loop://``), opened.

    Raises:
        BadgeReaderError: the port cannot be opened; the message names ``what`` it is.
    """
    try:
        return serial.serial_for_url(port, baudrate=baudrate, timeout=timeout)
    except (serial.SerialException, ValueError, OSError) as exc:
        raise BadgeReaderError(
            f"Cannot open {what}: {exc}. Check the port name and that this user may use it "
            "(group dialout)."
        ) from None


class SerialBadgeReader:
    """A reader on a serial port (``/dev/ttyUSB0``, ``COM3``, or a pyserial URL such as
    ``loop://``) that sends one UID per line.

    Raises:
        BadgeReaderError: the port cannot be opened.
    """

    def __init__(self, port: str, *, baudrate: int = 9600) -> None:
        self.port = port
        self._serial = open_serial(
            port, f"the badge reader on {port}", baudrate=baudrate, timeout=0.1
        )
        self._buffer = bytearray()
        self._lock = threading.Lock()

    def read(self, timeout: float | None = None) -> str | None:
        """The next UID, waiting up to ``timeout`` seconds.

        Raises:
            BadgeReaderError: the reader was unplugged or failed.
        """
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while True:
                line = self._take_line()
                if line is not None:
                    uid = badge_uid(line)
                    if uid is not None:
                        return uid
                    continue
                if deadline is not None and time.monotonic() >= deadline:
                    return None
                try:
                    chunk = self._serial.read(max(1, self._serial.in_waiting))
                except (serial.SerialException, OSError) as exc:
                    raise BadgeReaderError(
                        f"The badge reader on {self.port} failed: {exc}."
                    ) from None
                self._buffer.extend(chunk)
                if len(self._buffer) > 2 * MAX_QR_LINE and b"\n" not in self._buffer:
                    self._buffer.clear()  # noise without line ends: drop it

    def close(self) -> None:
        with self._lock:
            self._serial.close()

    def _take_line(self) -> str | None:
        """The first complete line of the buffer (ended by LF, CR or ETX), if any."""
        ends = [i for i in (self._buffer.find(end) for end in (b"\n", b"\r", b"\x03")) if i >= 0]
        if not ends:
            return None
        index = min(ends)
        line = bytes(self._buffer[:index])
        del self._buffer[: index + 1]
        return line.decode("ascii", errors="replace")


class SimulatedBadgeReader:
    """Badges presented by a script: ``present(uid)`` queues a UID (thread-safe)."""

    def __init__(self) -> None:
        self._uids: queue.Queue[str] = queue.Queue()

    def present(self, *lines: str) -> None:
        """Queues what a reader would send for each badge."""
        for line in lines:
            uid = badge_uid(line)
            if uid is not None:
                self._uids.put(uid)

    def read(self, timeout: float | None = None) -> str | None:
        try:
            if timeout is not None and timeout <= 0:
                return self._uids.get_nowait()
            return self._uids.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        pass
