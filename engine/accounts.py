"""Accounts: organisations, users with roles, API tokens (stored as SHA-256) and passwords
(stored with Argon2id, a memory-hard hash)."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import bindparam, select

from .clock import utc_naive
from .definitions import ACCOUNT_ROLES
from .errors import InvalidInput, NotFound
from .models import Organisation, User
from .uow import UnitOfWork

ROLES = ACCOUNT_ROLES  # the roles an account may have (defined beside kedja:startableBy)
_hasher = PasswordHasher()


@dataclass(frozen=True)
class Account:
    username: str
    organisation: str
    roles: frozenset[str]

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _account(user: User) -> Account:
    return Account(user.username, user.organisation, frozenset(user.roles.split()))


def add_organisation(uow: UnitOfWork, name: str, kind: str | None = None) -> None:
    if uow.session.get(Organisation, name) is None:
        uow.repo.add(Organisation(name=name, kind=kind))


def add_user(uow: UnitOfWork, username: str, organisation: str, roles: list[str], now: datetime,
             password: str | None = None) -> str:
    """Create a user and return its API token (shown once; only its hash is kept)."""
    unknown = [role for role in roles if role not in ROLES]
    if unknown or not roles:
        raise InvalidInput(f"roles must be among {', '.join(ROLES)}; got {', '.join(roles) or 'none'}")
    if not username or uow.session.get(User, username) is not None:
        raise InvalidInput(f"user '{username}' exists already" if username else "a username is needed")
    if uow.session.get(Organisation, organisation) is None:
        raise NotFound(f"no organisation '{organisation}' (add it first)")
    token = secrets.token_urlsafe(32)
    uow.repo.add(User(username=username, organisation=organisation, roles=" ".join(sorted(set(roles))),
                      password_hash=_hasher.hash(password) if password else None, token_hash=token_hash(token),
                      created_at=utc_naive(now)))
    return token


def organisation_exists(session, name: str) -> bool:
    return session.get(Organisation, name) is not None


def username_is_external(session, username: str) -> bool:
    """Whether the name is free or held by an account without a password (one that signs in
    with an identity provider): single sign-on may use it, never a password account's name."""
    user = session.get(User, username)
    return user is None or not user.password_hash


def sign_in_external(uow: UnitOfWork, username: str, organisation: str, roles: list[str],
                     now: datetime) -> Account:
    """An account whose identity lives with an identity provider (single sign-on): made on first
    sign-in, without a password; its organisation and roles become those the provider gives now."""
    roles = sorted(set(roles))
    unknown = [role for role in roles if role not in ROLES]
    if unknown or not roles:
        raise InvalidInput(f"roles must be among {', '.join(ROLES)}; got {', '.join(roles) or 'none'}")
    if uow.session.get(Organisation, organisation) is None:
        raise NotFound(f"no organisation '{organisation}'")
    user = uow.session.get(User, username)
    if user is None:
        add_user(uow, username, organisation, roles, now)  # its API token is never shown
        uow.repo.flush()
        user = uow.session.get(User, username)
    elif user.password_hash:
        raise InvalidInput(f"user '{username}' signs in with a password")
    else:
        user.organisation, user.roles = organisation, " ".join(roles)
    return _account(user)


# Every API request asks this: three columns, by a statement built once, no ORM row.
_BY_TOKEN = select(User.username, User.organisation, User.roles).where(User.token_hash == bindparam("hash"))


def by_token(session, token: str) -> Account | None:
    found = session.execute(_BY_TOKEN, {"hash": token_hash(token)}).first()
    return Account(found.username, found.organisation, frozenset(found.roles.split())) if found else None



def by_password(session, username: str, password: str) -> Account | None:
    """The account, if the password is right. An unknown user costs a hash too, so that the
    answer's timing does not tell which usernames exist."""
    user = session.get(User, username) if username else None
    stored = user.password_hash if user is not None and user.password_hash else _UNKNOWN_USER_HASH
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return _account(user) if user is not None and user.password_hash else None


def users_with_password(session, password: str) -> list[str]:
    """The users whose password is `password` (every stored hash is tried: Argon2id is slow on
    purpose, 0.1 to 0.5 s per user with a password)."""
    found = []
    for user in session.query(User).filter(User.password_hash.is_not(None)).order_by(User.username):
        try:
            _hasher.verify(user.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            continue
        found.append(user.username)
    return found


def session_generation(session, username: str) -> int | None:
    """The user's current web-session generation (None: no such user)."""
    user = session.get(User, username)
    return user.session_generation if user else None


def by_session(session, username: str, generation: int | None) -> Account | None:
    """The account of a web session, if the session is still current (not signed out since)."""
    user = session.get(User, username)
    if user is None or generation != user.session_generation:
        return None
    return _account(user)


def end_sessions(uow: UnitOfWork, username: str) -> None:
    """Sign the user out everywhere: every session cookie issued so far stops working."""
    user = uow.session.get(User, username)
    if user is not None:
        user.session_generation += 1


_UNKNOWN_USER_HASH = _hasher.hash(secrets.token_urlsafe(16))
