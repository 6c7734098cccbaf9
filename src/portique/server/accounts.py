"""Console accounts and API tokens: creating them, and checking a password or a token.

Passwords are kept only as argon2id hashes; tokens only as the SHA-256 of their secret
(a random 256-bit value, which a fast hash protects as well as a slow one). After
``max_failed_logins`` failures in a row an account is shut for ``lockout``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from portique.i18n import text
from portique.server.errors import AccountInputError, AuthenticationError, LockedOutError
from portique.server.roles import ACCOUNT_ROLES, Role
from portique.server.settings import ServerSettings
from portique.services import SiteHandle
from portique.services.rows import site_row
from portique.store.models import AccountRow, ApiTokenRow

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
TOKEN_PREFIX = "pqt_"
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_hasher = PasswordHasher()
# Verified against when the account does not exist, so that a wrong name takes as
# long to refuse as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class Principal:
    """Who is calling: an account signed in, or the holder of an API token."""

    name: str
    role: Role
    display_name: str = ""
    lane_id: str | None = None
    """The lane a lane's token is bound to: it records passages there only."""


@dataclass(frozen=True)
class AccountRecord:
    """An account as created or listed; never its password hash."""

    username: str
    display_name: str
    role: Role
    active: bool
    created_at: datetime


def _username(value: str) -> str:
    username = value.strip().lower()
    if not _USERNAME.fullmatch(username):
        raise AccountInputError(
            text(
                f"Identifiant de compte {value!r} invalide : 1 à 64 caractères parmi "
                "minuscules, chiffres et . _ - (commençant par une lettre ou un chiffre).",
                f"Invalid account name {value!r}: 1 to 64 characters among lowercase "
                "letters, digits and . _ - (starting with a letter or a digit).",
            )
        )
    return username


def _account_role(value: str | Role) -> Role:
    try:
        role = Role(value)
    except ValueError:
        role = None
    if role not in ACCOUNT_ROLES:
        shown = ", ".join(role.value for role in ACCOUNT_ROLES)
        raise AccountInputError(
            text(
                f"Rôle de compte inconnu : {value!r} (parmi : {shown}).",
                f"Unknown account role: {value!r} (one of: {shown}).",
            )
        )
    assert role is not None
    return role


def _check_password(password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise AccountInputError(
            text(
                f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères.",
                f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.",
            )
        )


def create_account(
    site: SiteHandle,
    username: str,
    password: str,
    role: Role | str,
    *,
    now: datetime,
    display_name: str = "",
) -> AccountRecord:
    """Adds a console account with its password hashed (argon2id), in its own
    transaction: what ``portique account add`` calls.

    Raises:
        AccountInputError: an invalid or taken name, an unknown role, a short password.
    """
    with site.session() as session:
        site_row(session, site.site_id)
        name = _username(username)
        chosen = _account_role(role)
        _check_password(password)
        if session.get(AccountRow, (site.site_id, name)) is not None:
            raise AccountInputError(
                text(f"Le compte {name} existe déjà.", f"The account {name} already exists.")
            )
        row = AccountRow(
            site_id=site.site_id,
            username=name,
            display_name=" ".join(display_name.split())[:200],
            role=chosen.value,
            password_hash=_hasher.hash(password),
            active=True,
            failed_logins=0,
            locked_until=None,
            created_at=now,
            last_login_at=None,
        )
        session.add(row)
        session.flush()
        return _record(row)


def list_accounts(session: Session, site_id: str) -> list[AccountRecord]:
    query = select(AccountRow).where(AccountRow.site_id == site_id).order_by(AccountRow.username)
    return [_record(row) for row in session.scalars(query)]


def _record(row: AccountRow) -> AccountRecord:
    return AccountRecord(row.username, row.display_name, Role(row.role), row.active, row.created_at)


def _refused() -> AuthenticationError:
    return AuthenticationError(
        text("Identifiant ou mot de passe incorrect.", "Wrong account name or password.")
    )


def _locked() -> LockedOutError:
    return LockedOutError(
        text(
            "Trop d'échecs de connexion : compte bloqué temporairement, réessayez plus tard.",
            "Too many failed logins: the account is locked for a while, try again later.",
        )
    )


def authenticate(
    site: SiteHandle, username: str, password: str, *, now: datetime, settings: ServerSettings
) -> Principal:
    """The account that ``username`` and ``password`` open, counting failures.

    Raises:
        AuthenticationError: unknown account, inactive, or wrong password (one message).
        LockedOutError: the account is locked after too many failures.
    """
    failure: AuthenticationError | None = None
    principal: Principal | None = None
    name = username.strip().lower()
    # The failure count must be committed, so the error is raised after the transaction.
    with site.session() as session:
        row = session.get(AccountRow, (site.site_id, name)) if _USERNAME.fullmatch(name) else None
        if row is None or not row.active:
            _verify(_DUMMY_HASH, password)
            failure = _refused()
        elif row.locked_until is not None and row.locked_until > now:
            failure = _locked()
        elif not _verify(row.password_hash, password):
            row.failed_logins += 1
            failure = _refused()
            if row.failed_logins >= settings.max_failed_logins:
                row.failed_logins = 0
                row.locked_until = now + settings.lockout
                failure = _locked()
        else:
            row.failed_logins = 0
            row.locked_until = None
            row.last_login_at = now
            if _hasher.check_needs_rehash(row.password_hash):
                row.password_hash = _hasher.hash(password)
            principal = Principal(row.username, Role(row.role), row.display_name)
    if failure is not None:
        raise failure
    assert principal is not None
    return principal


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def account_principal(session: Session, site_id: str, username: str) -> Principal | None:
    """The principal of an active account (a session is dropped when its account is not)."""
    row = session.get(AccountRow, (site_id, username))
    if row is None or not row.active:
        return None
    return Principal(row.username, Role(row.role), row.display_name)


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_api_token(
    site: SiteHandle, name: str, role: Role | str, *, now: datetime, lane_id: str | None = None
) -> str:
    """A new API token (``pqt_...``) for a lane or an integration; shown once, kept hashed.
    A lane's token is bound to ``lane_id``.

    Raises:
        AccountInputError: an unknown role or an empty name.
    """
    try:
        chosen = Role(role)
    except ValueError:
        raise AccountInputError(
            text(f"Rôle inconnu : {role!r}.", f"Unknown role: {role!r}.")
        ) from None
    label = " ".join(name.split())[:200]
    if not label:
        raise AccountInputError(text("Nom du jeton manquant.", "Token name missing."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with site.session() as session:
        site_row(session, site.site_id)
        session.add(
            ApiTokenRow(
                token_hash=_token_hash(secret),
                site_id=site.site_id,
                name=label,
                role=chosen.value,
                created_at=now,
                revoked_at=None,
                lane_id=lane_id if chosen is Role.LANE else None,
            )
        )
    return secret


def revoke_lane_tokens(site: SiteHandle, lane_id: str, *, now: datetime) -> int:
    """Revokes every API token bound to lane ``lane_id``; how many."""
    with site.session() as session:
        rows = session.scalars(
            select(ApiTokenRow).where(
                ApiTokenRow.site_id == site.site_id,
                ApiTokenRow.lane_id == lane_id,
                ApiTokenRow.revoked_at.is_(None),
            )
        ).all()
        for row in rows:
            row.revoked_at = now
        return len(rows)


def token_principal(session: Session, site_id: str, secret: str) -> Principal | None:
    """The holder of an API token, or None for an unknown or revoked token."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    row = session.get(ApiTokenRow, _token_hash(secret))
    if row is None or row.site_id != site_id or row.revoked_at is not None:
        return None
    return Principal(f"token:{row.name}", Role(row.role), row.name, row.lane_id)
