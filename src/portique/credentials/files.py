"""A site's private files: owner-only folders and files, written atomically, checked
when read. The keyring, a lane's snapshot, link key and outbox, the demo's cast all hold
secrets or personal data, and all are written through here."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600

SITE_FILE = "site.json"
"""The file of a site's folder that names the site (``portique init`` writes it; a lane's
folder holds a copy, so the lane knows its site without a database)."""
KEYS_DIR = "keys"
"""The owner-only folder of a site's keys (its keyring; at a lane, its link key)."""

_POSIX = os.name == "posix"


def private_directory(directory: Path) -> Path:
    """``directory``, created if need be with mode 0700 (it holds keys and personal data)."""
    directory = Path(directory)
    directory.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    if _POSIX:
        directory.chmod(DIRECTORY_MODE)
    return directory


def write_private(path: Path, data: bytes) -> None:
    """Writes ``data`` to ``path`` with mode 0600, atomically (temporary file, fsync, rename).

    Raises OSError when the file cannot be written; the caller names what it was.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(temporary, flags, FILE_MODE)
        try:
            if _POSIX:
                os.fchmod(descriptor, FILE_MODE)  # the umask may have taken bits away
            view = memoryview(data)
            while view:
                written = os.write(descriptor, view)
                view = view[written:]
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise


def exposed_mode(path: Path) -> int | None:
    """The mode of ``path`` when other users may read or write it, else None."""
    if not _POSIX:
        return None
    mode = stat.S_IMODE(path.lstat().st_mode)
    return mode if mode & 0o077 else None
