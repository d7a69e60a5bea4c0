"""Signing in to the pages: username + password (Argon2id) or single sign-on (`api.oidc`), a
session cookie, logout. Failed passwords are throttled (`api.throttle`)."""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for

from engine import EndSessions, by_password, by_session, session_generation

from ..auth import engine as _engine

bp = Blueprint("session", __name__)


def load_account() -> None:
    """The signed-in account, read again on every request (a removed user is out at once)."""
    g.account = None
    username = session.get("username")
    if username:
        with _engine().session_factory() as db:
            g.account = by_session(db, username, session.get("generation"))
        if g.account is None:
            session.clear()


def login_required(*roles: str):
    """Pages for signed-in users (and, with `roles`, only those having one of them)."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if g.get("account") is None:
                return redirect(url_for("session.login", next=request.full_path.rstrip("?")))
            if roles and not g.account.has(*roles):
                abort(403)
            return view(*args, **kwargs)
        return wrapper
    return decorate


def safe_target(target: str | None, fallback: str) -> str:
    """Only a path on this site (no open redirect to another host, no header injection)."""
    if not target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return fallback
    return target


def _safe_next(target: str | None) -> str:
    return safe_target(target, url_for("work.inbox"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""))
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    with _engine().session_factory() as db:
        account = by_password(db, username, password)
    if account is None:
        flash("Fel användarnamn eller lösenord.", "error")
        return render_template("login.html", next=request.form.get("next", ""), username=username), 401
    start_session(account)
    return redirect(_safe_next(request.form.get("next")))


def start_session(account, display: str | None = None) -> None:
    """Signed in (with a password, or by the organisation's identity provider: `display` is then
    the name the page header shows instead of the derived username)."""
    with _engine().session_factory() as db:
        generation = session_generation(db, account.username)
    session.clear()  # a new session on sign-in (no fixation)
    session["username"] = account.username
    session["generation"] = generation
    if display:
        session["display"] = display
    session.permanent = True


@bp.post("/logout")
def logout():
    if g.get("account") is not None:
        _engine().execute(EndSessions(g.account.username))
    session.clear()
    flash("Du är utloggad.", "info")
    return redirect(url_for("session.login"))
