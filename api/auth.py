"""Who is calling: `Authorization: Bearer TOKEN` on every API request; roles per route."""
from __future__ import annotations

from functools import wraps

from flask import current_app, g, request

from engine import Account, Forbidden, by_token


class Unauthenticated(Exception):
    """No valid credentials: answered with 401."""


def engine():
    return current_app.extensions["kedja"]


def authenticate() -> None:
    """Before every API request (health and the OpenAPI document excepted)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send Authorization: Bearer <token>")
    with engine().session_factory() as session:
        account = by_token(session, token.strip())
    if account is None:
        raise Unauthenticated("the token is not valid")
    g.account = account


def account() -> Account:
    return g.account


def require(*roles: str):
    """Only accounts with one of `roles` may call the route."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not g.account.has(*roles):
                raise Forbidden(f"this needs the role {' or '.join(roles)}")
            return view(*args, **kwargs)
        return wrapper
    return decorate
