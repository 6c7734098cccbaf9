"""Files at the edge: reading what comes from outside without trusting it, and writing
personal data and secrets so that only their owner can read them.

Reading (:func:`read_input_file`): only a regular file is read (never a device such as
``/dev/zero``, a pipe or a socket), and never more than a given number of bytes, so a
hostile path can neither hang a command nor fill its memory.

Writing (:func:`write_private`): cards, subject exports, pass documents and reports name
people, and a site's keys, a lane's snapshot, link key and outbox hold secrets; they are
written atomically and durably with mode 0600, in folders made 0700 when Portique creates
them (an existing folder chosen by the user keeps its mode; :func:`private_directory`
makes one of Portique's own folders 0700 whatever it was). :func:`exposed_mode` tells a
file others can read, to refuse it.

A site's folder holds :data:`SITE_FILE` and the owner-only :data:`KEYS_DIR`; a lane's
folder holds copies of both, so the lane knows its site without a database.
"""

from __future__ import annotations

import enum
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from portique.errors import BadInputError, PortiqueError
from portique.i18n import text

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIRECTORY_MODE = 0o700
_POSIX = os.name == "posix"

SITE_FILE = "site.json"
"""The file of a site's folder that names the site (``portique init`` writes it)."""
KEYS_DIR = "keys"
"""The owner-only folder of a site's keys (its keyring and audit key; at a lane, its link
key)."""
AUDIT_KEYS_FILE = "audit-keys.json"
"""The audit log's key, in :data:`KEYS_DIR`."""
AUDIT_CHECKPOINT_FILE = "audit-checkpoint.json"
"""The audit log's last signed checkpoint, in the site's folder."""


class FileProblem(enum.Enum):
    """Why a file from outside was not read."""

    MISSING = "missing"
    FOLDER = "folder"
    NOT_REGULAR = "not_regular"
    TOO_LARGE = "too_large"
    UNREADABLE = "unreadable"


class InputFileError(BadInputError):
    """A file given as input cannot be read safely; ``problem`` says why."""

    code = "unreadable_file"

    def __init__(self, problem: FileProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


def _refused(path: Path, problem: FileProblem, detail: str = "") -> InputFileError:
    messages = {
        FileProblem.MISSING: text("fichier introuvable", "no such file"),
        FileProblem.FOLDER: text("c'est un dossier, pas un fichier", "is a folder, not a file"),
        FileProblem.NOT_REGULAR: text(
            "ce n'est pas un fichier ordinaire (périphérique, tube...) : refusé",
            "is not a regular file (a device, a pipe...): refused",
        ),
        FileProblem.TOO_LARGE: detail,
        FileProblem.UNREADABLE: text(
            f"lecture impossible ({detail})", f"cannot be read ({detail})"
        ),
    }
    return InputFileError(problem, f"{path}: {messages[problem]}")


def _too_large(path: Path, size: int, max_bytes: int) -> InputFileError:
    detail = text(
        f"{size:,} octets ou plus ; la limite est de {max_bytes:,}",
        f"{size:,} bytes or more; the limit is {max_bytes:,}",
    )
    return _refused(path, FileProblem.TOO_LARGE, detail)


def read_input_file(path: Path, *, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes`` of them.

    Raises:
        InputFileError: missing, a folder, not a regular file (a device, a FIFO, a
            socket), larger than ``max_bytes``, or unreadable.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise _refused(path, FileProblem.MISSING) from None
    except OSError as exc:
        raise _refused(path, FileProblem.UNREADABLE, str(exc.strerror or exc)) from None
    if stat.S_ISDIR(info.st_mode):
        raise _refused(path, FileProblem.FOLDER)
    if not stat.S_ISREG(info.st_mode):
        raise _refused(path, FileProblem.NOT_REGULAR)
    if info.st_size > max_bytes:
        raise _too_large(path, info.st_size, max_bytes)
    # O_NONBLOCK: a pipe put in the file's place after the check cannot block the open.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        raise _refused(path, FileProblem.UNREADABLE, str(exc.strerror or exc)) from None
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise _refused(path, FileProblem.NOT_REGULAR)
        try:
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise _refused(path, FileProblem.UNREADABLE, str(exc.strerror or exc)) from None
    if len(data) > max_bytes:
        raise _too_large(path, len(data), max_bytes)
    return data


def private_folder(path: Path) -> Path:
    """Makes ``path`` (and its missing parents) as folders only their owner can open;
    a folder that already exists is left as it is."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    path.mkdir(mode=PRIVATE_DIRECTORY_MODE, parents=True, exist_ok=True)
    if _POSIX:
        for folder in missing:
            folder.chmod(PRIVATE_DIRECTORY_MODE)  # mkdir's parents ignore ``mode``
    return path


def write_private(path: Path, data: bytes) -> Path:
    """Writes ``data`` to ``path`` with mode 0600, atomically and durably (a temporary
    file beside it, synced, then a rename), making its missing folders 0700.

    Raises:
        OSError: the folder or the file cannot be written (the caller names what it was).
    """
    with writing_private(path) as handle:
        handle.write(data)
    return path


@contextmanager
def writing_private(path: Path) -> Iterator[BinaryIO]:
    """A stream to write ``path`` the way :func:`write_private` does, for what does not
    fit in memory (a backup): the file appears, whole and synced, when the block ends,
    and not at all if it fails."""
    private_folder(path.parent)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(temporary, flags, PRIVATE_FILE_MODE)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            if _POSIX:
                os.fchmod(handle.fileno(), PRIVATE_FILE_MODE)  # the umask may have cut bits
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def private_directory(directory: Path) -> Path:
    """``directory``, one of Portique's own (keys, a lane's files), created if need be and
    made 0700 even if it existed: it holds keys and personal data."""
    directory = Path(directory)
    directory.mkdir(mode=PRIVATE_DIRECTORY_MODE, parents=True, exist_ok=True)
    if _POSIX:
        directory.chmod(PRIVATE_DIRECTORY_MODE)
    return directory


def exposed_mode(path: Path) -> int | None:
    """The mode of ``path`` when other users may read or write it, else None.

    Raises:
        OSError: ``path`` cannot be examined (FileNotFoundError when it does not exist).
    """
    if not _POSIX:
        return None
    mode = stat.S_IMODE(path.lstat().st_mode)
    return mode if mode & 0o077 else None


def read_secret_text(
    path: Path, what: str, *, error: type[PortiqueError], missing: str, exposed: str
) -> str:
    """The text of the owner-only file ``path`` (a key, a registry), stripped, refused if
    other users can read it.

    ``what`` names the file in the messages; ``missing`` is the whole message when there is
    no file, ``exposed`` the advice after "accessible to other users (mode ...): ".

    Raises:
        PortiqueError: of the class ``error``: missing, unreadable, or readable by others.
    """
    try:
        mode = exposed_mode(path)
        secret = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise error(missing) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"Cannot read the {what} {path}: {exc}.") from None
    if mode is not None:
        raise error(f"{path} is accessible to other users (mode {mode:04o}): {exposed}")
    return secret


def make_private(path: Path) -> None:
    """Takes group and other permissions away from an existing file of ours, or creates
    it empty with mode 0600 (a SQLite database before SQLite creates it with 0644)."""
    if not path.exists():
        private_folder(path.parent)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE)
        os.close(descriptor)
    if _POSIX:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            path.chmod(mode & 0o700)
