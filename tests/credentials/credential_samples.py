"""Sample values shared by the credential tests (imported by name: keep the name unique)."""

from __future__ import annotations

from datetime import UTC, datetime

CREDENTIAL_ID = "kq3v7x2mbn4tw5ha"
PERSON_ID = "p-7f3a9c2e41"
SITE_ID = "0130001A"
OTHER_SITE_ID = "0690026D"
VALID_FROM = datetime(2025, 8, 31, 22, 0, tzinfo=UTC)
VALID_UNTIL = datetime(2026, 8, 31, 21, 59, 59, tzinfo=UTC)
