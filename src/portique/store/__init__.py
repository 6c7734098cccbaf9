"""Storage: SQLAlchemy 2 models, repositories and Alembic migrations; SQLite or PostgreSQL.

::

    from portique.store import Database, People
    database = Database("sqlite:///site/portique.db")   # or postgresql+psycopg://...
    database.upgrade()                                   # the schema, from empty if need be
    with database.session() as session:                  # one transaction
        people = People(session).list("lycee-0130001A")

No face image, template or embedding is ever stored: templates live only inside the
person's own credential. The store knows nothing of the access domain; the services
(``portique.services``) turn rows into a policy snapshot and decisions into events.
"""

from __future__ import annotations

from portique.store.database import (
    SCHEMA_REVISION,
    SQLITE_FILE,
    Database,
    alembic_config,
    migrations_path,
    redact_url,
    sqlite_url,
)
from portique.store.errors import (
    SchemaError,
    StoreConflictError,
    StoreError,
    StoreUnavailableError,
)
from portique.store.models import (
    ArchivedGroupRow,
    AuditEntryRow,
    BadgeBindingRow,
    Base,
    ConsentRow,
    ConsoleSessionRow,
    CredentialRow,
    DepartureRow,
    ExitPermissionRow,
    GroupRow,
    GuardianshipRow,
    LaneRow,
    LaneStatusChangeRow,
    LaneStatusRow,
    LockdownRow,
    MembershipRow,
    PassageRow,
    PersonRow,
    PhoneEnrolmentRow,
    RefusalRow,
    RegisterIdRow,
    SchoolYearRow,
    SeenCodeRow,
    SiteRow,
    TemplateVaultRow,
    VisitAlertRow,
    VisitEventRow,
    VisitRow,
    ZoneRow,
)
from portique.store.records import record_from
from portique.store.repositories import (
    ACTIVE,
    REVOKED,
    Credentials,
    OfSite,
    Passages,
    People,
    Sites,
    find_at_site,
    row_at_site,
)

__all__ = [
    "ACTIVE",
    "REVOKED",
    "SCHEMA_REVISION",
    "SQLITE_FILE",
    "ArchivedGroupRow",
    "AuditEntryRow",
    "BadgeBindingRow",
    "Base",
    "ConsentRow",
    "ConsoleSessionRow",
    "CredentialRow",
    "Credentials",
    "Database",
    "DepartureRow",
    "ExitPermissionRow",
    "GroupRow",
    "GuardianshipRow",
    "LaneRow",
    "LaneStatusChangeRow",
    "LaneStatusRow",
    "LockdownRow",
    "MembershipRow",
    "OfSite",
    "PassageRow",
    "Passages",
    "People",
    "PersonRow",
    "PhoneEnrolmentRow",
    "RefusalRow",
    "RegisterIdRow",
    "SchemaError",
    "SchoolYearRow",
    "SeenCodeRow",
    "SiteRow",
    "Sites",
    "StoreConflictError",
    "StoreError",
    "StoreUnavailableError",
    "TemplateVaultRow",
    "VisitAlertRow",
    "VisitEventRow",
    "VisitRow",
    "ZoneRow",
    "alembic_config",
    "find_at_site",
    "migrations_path",
    "record_from",
    "redact_url",
    "row_at_site",
    "sqlite_url",
]
