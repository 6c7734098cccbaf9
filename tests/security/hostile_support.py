"""Hostile files, as an attacker hands them to Portique: each is small on disk and
aims at one weakness of a decoder or of the file reading."""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_chunk(kind: bytes, data: bytes, *, length: int | None = None) -> bytes:
    """One PNG chunk; ``length`` may lie about the size of ``data``."""
    size = len(data) if length is None else length
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", size) + kind + data + struct.pack(">I", crc)


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` one-byte grey pixels and whose
    data holds almost nothing: 69 bytes for any size."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + png_chunk(b"IEND", b"")
    )


def png_with_short_header() -> bytes:
    """A PNG whose IHDR chunk holds 5 bytes instead of 13."""
    return PNG_SIGNATURE + png_chunk(b"IHDR", b"\x00\x00\x00\x10\x00") + png_chunk(b"IEND", b"")


def ppm_with_bad_header() -> bytes:
    return b"P6\n10 x\n255\n" + b"\x00" * 300


def eps_document() -> bytes:
    """An EPS file: Pillow would hand it to Ghostscript if EPS were allowed."""
    return (
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n"
        b"newpath 0 0 moveto 10 10 lineto stroke\nshowpage\n%%EOF\n"
    )


def gif_image() -> bytes:
    return (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00"
        b"\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )


HOSTILE_IMAGES: dict[str, Callable[[], bytes]] = {
    "ppm-bad-header": ppm_with_bad_header,
    "png-short-ihdr": png_with_short_header,
    "png-1x40000000": lambda: png_declaring(1, 40_000_000),
    "png-6000x6000-in-69-bytes": lambda: png_declaring(6000, 6000),
    "eps": eps_document,
    "gif": gif_image,
    "garbage": lambda: os.urandom(4096),
    "empty": lambda: b"",
    "truncated-png-signature": lambda: PNG_SIGNATURE[:5],
}
"""Image files that must each be refused as bad input (exit code 2), never crash."""


def hostile_paths(folder: Path) -> dict[str, Path]:
    """Every hostile image written under ``folder``, plus a folder, a FIFO, /dev/zero."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, make in HOSTILE_IMAGES.items():
        path = folder / f"{name}.png"
        path.write_bytes(make())
        paths[name] = path
    paths["folder"] = folder / "a-folder.png"
    paths["folder"].mkdir(exist_ok=True)
    fifo = folder / "fifo.png"
    if not fifo.exists():
        os.mkfifo(fifo)
    paths["fifo"] = fifo
    paths["dev-zero"] = Path("/dev/zero")
    return paths
