"""Console accounts and API tokens: creating them, and checking a password or a token.

Passwords are kept only as argon2id hashes; tokens only as the SHA-256 of their secret
(a random 256-bit value, which a fast hash protects as well as a slow one). Failed
logins are slowed by ``portique.server.throttle``; an account is never shut by them.
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
from zxcvbn import zxcvbn

from portique.i18n import text
from portique.server.errors import AccountInputError, AuthenticationError
from portique.server.roles import ACCOUNT_ROLES, Role
from portique.services import SiteHandle
from portique.services.rows import site_row
from portique.store import find_at_site
from portique.store.models import AccountRow, ApiTokenRow

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
MIN_PASSWORD_SCORE = 3
"""zxcvbn's score (0 to 4): 3 is "safely unguessable", over 10^8 guesses."""
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


def check_password(password: str, *, username: str, display_name: str = "") -> None:
    """Refuses a password too short or long, or one that zxcvbn (Dropbox's strength
    estimator: dictionaries of common passwords, names and words, keyboard patterns,
    repeats, dates) guesses in under 10^8 tries (score under 3), the account's own name,
    display name and the product's name counted as known words.

    Raises:
        AccountInputError: the password is refused, with the reason.
    """
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise AccountInputError(
            text(
                f"Le mot de passe doit compter de {MIN_PASSWORD_LENGTH} à "
                f"{MAX_PASSWORD_LENGTH} caractères.",
                f"The password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} "
                "characters long.",
            )
        )
    known = [username, *display_name.split(), "portique"]
    # zxcvbn's time grows quickly with the length; what follows the first 100 characters
    # can only make the password stronger.
    score = zxcvbn(password[:100], user_inputs=known)["score"]
    if score < MIN_PASSWORD_SCORE or _only_known_words(password, known):
        raise AccountInputError(
            text(
                "Mot de passe trop facile à deviner (mot courant, motif du clavier, "
                "répétition, date ou nom du compte) : choisissez par exemple quatre mots "
                "sans rapport entre eux.",
                "The password is too easy to guess (a common word, a keyboard pattern, a "
                "repeat, a date or the account's name): choose, say, four unrelated words.",
            )
        )


def _only_known_words(password: str, known: list[str]) -> bool:
    """Whether the password is little more than the account's names (``Claire Martin``,
    ``portique-portique``), which zxcvbn may score as two ordinary words."""
    residue = "".join(char for char in password.casefold() if char.isalnum())
    for word in sorted((w.casefold() for w in known if len(w) >= 3), key=len, reverse=True):
        residue = residue.replace("".join(char for char in word if char.isalnum()), "")
    return len(residue) < 4


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
        check_password(password, username=name, display_name=display_name)
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


def authenticate(site: SiteHandle, username: str, password: str, *, now: datetime) -> Principal:
    """The account that ``username`` and ``password`` open. An unknown name costs as much
    time as a wrong password and gets the same answer; the attempts are counted and
    slowed by ``portique.server.throttle``, never by shutting the account.

    Raises:
        AuthenticationError: unknown account, inactive, or wrong password (one message).
    """
    name = username.strip().lower()
    with site.session() as session:
        row = session.get(AccountRow, (site.site_id, name)) if _USERNAME.fullmatch(name) else None
        if row is None or not row.active:
            _verify(_DUMMY_HASH, password)
            raise _refused()
        if not _verify(row.password_hash, password):
            raise _refused()
        row.last_login_at = now
        if _hasher.check_needs_rehash(row.password_hash):
            row.password_hash = _hasher.hash(password)
        return Principal(row.username, Role(row.role), row.display_name)


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


def token_site(session: Session, secret: str) -> str | None:
    """The site of an API token in force, or None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    row = session.get(ApiTokenRow, _token_hash(secret))
    return None if row is None or row.revoked_at is not None else row.site_id


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
    row = find_at_site(session, ApiTokenRow, _token_hash(secret), site_id)
    if row is None or row.revoked_at is not None:
        return None
    return Principal(f"token:{row.name}", Role(row.role), row.name, row.lane_id)


TOKEN_ID_LENGTH = 12
"""A token is named by the first hex digits of its hash: what the audit log names its
holder by (``token:<id>``), and what ``portique account token revoke`` takes."""


@dataclass(frozen=True)
class ApiTokenRecord:
    """An API token as listed; never its secret, which is shown once at its creation."""

    token_id: str
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None


def _account(session: Session, site_id: str, username: str) -> AccountRow:
    row = session.get(AccountRow, (site_id, username.strip().lower()))
    if row is None:
        raise AccountInputError(text(f"Aucun compte {username!r}.", f"No account {username!r}."))
    return row


def set_account_active(site: SiteHandle, username: str, active: bool) -> AccountRecord:
    """Disables an account (its sessions end at their next request; it can no longer
    sign in) or enables it again, in its own transaction; the change is audited.

    Raises:
        AccountInputError: no such account.
    """
    with site.session() as session:
        row = _account(session, site.site_id, username)
        row.active = active
        return _record(row)


def set_password(site: SiteHandle, username: str, password: str) -> AccountRecord:
    """Replaces an account's password (checked as at creation), in its own transaction;
    the change is audited, the password and its hash never shown.

    Raises:
        AccountInputError: no such account, or the password is refused.
    """
    with site.session() as session:
        row = _account(session, site.site_id, username)
        check_password(password, username=row.username, display_name=row.display_name)
        row.password_hash = _hasher.hash(password)
        return _record(row)


def list_api_tokens(session: Session, site_id: str) -> list[ApiTokenRecord]:
    query = (
        select(ApiTokenRow)
        .where(ApiTokenRow.site_id == site_id)
        .order_by(ApiTokenRow.created_at, ApiTokenRow.name)
    )
    return [_token_record(row) for row in session.scalars(query)]


def token_id_of(secret: str) -> str:
    """The id of a token from its secret (what ``token list`` shows beside its name)."""
    return _token_hash(secret)[:TOKEN_ID_LENGTH]


def _token_record(row: ApiTokenRow) -> ApiTokenRecord:
    return ApiTokenRecord(
        row.token_hash[:TOKEN_ID_LENGTH], row.name, Role(row.role), row.created_at, row.revoked_at
    )


def revoke_api_token(site: SiteHandle, token_id: str, *, now: datetime) -> ApiTokenRecord:
    """Revokes the API token named ``token_id`` (see :data:`TOKEN_ID_LENGTH`) at once: its
    next request is refused. Revoking it again changes nothing.

    Raises:
        AccountInputError: no token of this site has this id.
    """
    wanted = token_id.strip().lower()
    with site.session() as session:
        rows = []
        if re.fullmatch(f"[0-9a-f]{{{TOKEN_ID_LENGTH}}}", wanted):
            query = select(ApiTokenRow).where(
                ApiTokenRow.site_id == site.site_id, ApiTokenRow.token_hash.startswith(wanted)
            )
            rows = list(session.scalars(query))
        if len(rows) != 1:
            raise AccountInputError(
                text(
                    f"Aucun jeton {token_id!r} (l'identifiant a {TOKEN_ID_LENGTH} chiffres "
                    "hexadécimaux, voir « portique account token list »).",
                    f"No token {token_id!r} (its id has {TOKEN_ID_LENGTH} hex digits, see "
                    "`portique account token list`).",
                )
            )
        row = rows[0]
        if row.revoked_at is None:
            row.revoked_at = now
        return _token_record(row)
