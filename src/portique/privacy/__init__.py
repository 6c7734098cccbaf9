"""Privacy operations: the audit log, retention purges, subject rights and the DPIA.

The audit log records the administrative row changes of every site's database that the
composition root (``portique.bootstrap``) opens: it passes
:func:`portique.privacy.audit.record_changes` to the database; importing this package
installs nothing.
"""

from __future__ import annotations

from portique.privacy.audit import AuditEntry, ChainReport, record, verify

__all__ = ["AuditEntry", "ChainReport", "record", "verify"]
