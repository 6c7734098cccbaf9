"""Files sent to the server in a form: read into memory, never written to disk by us."""

from __future__ import annotations

from fastapi import UploadFile

from portique.services.roster import MAX_ROSTER_BYTES


def read_people_file(upload: UploadFile) -> bytes:
    """The bytes of an uploaded people file, up to one byte past the import's limit, so
    that ``import_people`` refuses a file too large with its own message."""
    upload.file.seek(0)
    return upload.file.read(MAX_ROSTER_BYTES + 1)
