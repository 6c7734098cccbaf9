"""Privacy operations: the audit log, consent withdrawal, the central template store,
retention purges, subject rights and the DPIA.

Importing the package installs the audit hook: from then on every session opened by
:meth:`portique.store.Database.session` records its administrative row changes.
"""

from __future__ import annotations

from portique.privacy.audit import AuditEntry, ChainReport, record, verify

__all__ = ["AuditEntry", "ChainReport", "record", "verify"]
