"""Single sign-on with OpenID Connect (Authlib): the authorization-code flow with PKCE (S256),
state and nonce, against the provider at KEDJA_OIDC_ISSUER (its discovery document).

The provider's claims decide who the person is in Kedja: KEDJA_OIDC_ORGANISATION_CLAIM (default
"organisation") must name an organisation Kedja has, KEDJA_OIDC_ROLES_CLAIM (default "roles", a
list or a space-separated string) must hold at least one of Kedja's roles (others are ignored).
The Kedja user is made on first sign-in and its organisation and roles follow the provider's on
every later one. Its username is derived from issuer and subject ("oidc-" and 24 characters of
their hash), stable whatever the person's name or e-mail becomes; the page header shows the
preferred_username (or e-mail, or name) instead. Such users have no password.

Settings, from the app's config (create_app) and else the environment: KEDJA_OIDC_ISSUER,
KEDJA_OIDC_CLIENT_ID, KEDJA_OIDC_CLIENT_SECRET, the two claim names, KEDJA_OIDC_SCOPES (default
"openid profile email"), KEDJA_OIDC_LABEL (the button) and KEDJA_OIDC_REDIRECT_URI (default this
site's /login/oidc/callback as the request reached it; set it behind a proxy)."""
from __future__ import annotations

import base64
import hashlib
import logging
import os
from dataclasses import dataclass

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, session, url_for
from joserfc.errors import JoseError

from engine import ROLES, ConcurrentUpdate, EngineError, organisation_exists, sign_in_external, username_is_external

from .web.session import safe_target, start_session

log = logging.getLogger("kedja.auth")
bp = Blueprint("oidc", __name__)
DEFAULTS = {"KEDJA_OIDC_ORGANISATION_CLAIM": "organisation", "KEDJA_OIDC_ROLES_CLAIM": "roles",
            "KEDJA_OIDC_SCOPES": "openid profile email", "KEDJA_OIDC_LABEL": "Logga in via din organisation"}
FAILED = "Inloggningen via din organisation misslyckades. Försök igen."
UNKNOWN_ORGANISATION = "Din organisation finns inte i Kedja. Kontakta Kedjas administratör."
NO_ROLE = "Du har ingen roll i Kedja. Kontakta din organisations administratör."


@dataclass(frozen=True)
class Settings:
    issuer: str
    organisation_claim: str
    roles_claim: str
    label: str
    redirect_uri: str | None


def _setting(app: Flask, name: str) -> str | None:
    return app.config.get(name) or os.environ.get(name) or DEFAULTS.get(name)


def init(app: Flask) -> None:
    """Sign-in with the provider when KEDJA_OIDC_ISSUER is set (the routes answer 404 otherwise)."""
    app.register_blueprint(bp)
    app.context_processor(lambda: {"oidc_label": settings().label if settings() else None})
    issuer = _setting(app, "KEDJA_OIDC_ISSUER")
    if not issuer:
        return
    client_id, secret = _setting(app, "KEDJA_OIDC_CLIENT_ID"), _setting(app, "KEDJA_OIDC_CLIENT_SECRET")
    if not client_id or not secret:
        raise RuntimeError("KEDJA_OIDC_ISSUER needs KEDJA_OIDC_CLIENT_ID and KEDJA_OIDC_CLIENT_SECRET")
    issuer = issuer.rstrip("/")
    oauth = OAuth(app)
    oauth.register("kedja_oidc", client_id=client_id, client_secret=secret,
                   server_metadata_url=f"{issuer}/.well-known/openid-configuration",
                   client_kwargs={"scope": _setting(app, "KEDJA_OIDC_SCOPES"), "code_challenge_method": "S256",
                                  "default_timeout": 10})
    app.extensions["kedja.oidc"] = (oauth.kedja_oidc, Settings(
        issuer, _setting(app, "KEDJA_OIDC_ORGANISATION_CLAIM"), _setting(app, "KEDJA_OIDC_ROLES_CLAIM"),
        _setting(app, "KEDJA_OIDC_LABEL"), _setting(app, "KEDJA_OIDC_REDIRECT_URI")))


def settings() -> Settings | None:
    configured = current_app.extensions.get("kedja.oidc")
    return configured[1] if configured else None


def _client():
    configured = current_app.extensions.get("kedja.oidc")
    if configured is None:
        abort(404)
    return configured


def username_for(issuer: str, subject: str) -> str:
    """Kedja's username for the provider's subject: stable, unique per issuer, 29 characters."""
    digest = hashlib.sha256(f"{issuer}\n{subject}".encode()).digest()
    return "oidc-" + base64.b32encode(digest).decode("ascii")[:24].lower()


def roles_from(value) -> list[str]:
    """Kedja's roles among the claim's values (a list or a space-separated string)."""
    values = value.split() if isinstance(value, str) else value if isinstance(value, list) else []
    return sorted({role for role in values if isinstance(role, str) and role in ROLES})


@bp.get("/login/oidc")
def start():
    client, config = _client()
    session["oidc_next"] = safe_target(request.args.get("next"), "")
    try:
        return client.authorize_redirect(config.redirect_uri or url_for("oidc.callback", _external=True))
    except (AuthlibBaseError, requests.RequestException, RuntimeError, ValueError) as err:
        log.warning("OIDC sign-in could not start (issuer %s): %s", config.issuer, err)
        return _refuse(FAILED, 502)


@bp.get("/login/oidc/callback")
def callback():
    client, config = _client()
    try:
        claims = _claims(client, config)
    except (AuthlibBaseError, JoseError, requests.RequestException, RuntimeError, ValueError, KeyError) as err:
        log.warning("OIDC sign-in failed from %s: %s", request.remote_addr, err)
        return _refuse(FAILED, 400)
    organisation = claims.get(config.organisation_claim)
    roles = roles_from(claims.get(config.roles_claim))
    display = str(claims.get("preferred_username") or claims.get("email") or claims.get("name") or claims["sub"])
    username = username_for(config.issuer, str(claims["sub"]))
    engine = current_app.extensions["kedja"]
    with engine.session_factory() as db:
        known = isinstance(organisation, str) and organisation_exists(db, organisation)
        if known and not username_is_external(db, username):
            known = False  # a password account of that name (made by hand): never taken over
    if not known or not roles:
        log.warning("OIDC sign-in refused: %s (%s, sub %r of %s) organisation %r roles %r from %s", username, display,
                    claims["sub"], config.issuer, organisation, claims.get(config.roles_claim), request.remote_addr)
        return _refuse(UNKNOWN_ORGANISATION if not known else NO_ROLE, 403)
    for attempt in range(2):  # two first sign-ins at once: the second finds the user made
        try:
            with engine.uow() as uow:
                account = sign_in_external(uow, username, organisation, roles, engine.now())
                uow.commit()
            break
        except ConcurrentUpdate:
            if attempt:
                raise
        except EngineError as err:
            log.warning("OIDC sign-in refused for %s (%s): %s", username, display, err)
            return _refuse(NO_ROLE, 403)
    log.info("OIDC sign-in: %s (%s) of %s as %s from %s", username, display, organisation, " ".join(roles),
             request.remote_addr)
    target = session.pop("oidc_next", "")
    start_session(account, display=display)
    return redirect(safe_target(target, url_for("work.inbox")))


def _claims(client, config: Settings) -> dict:
    """The ID token's claims (signature, issuer, audience, nonce and expiry checked by Authlib),
    completed from the userinfo endpoint when the organisation or roles are not in it."""
    metadata = client.load_server_metadata()
    if str(metadata.get("issuer", "")).rstrip("/") != config.issuer:
        raise ValueError(f"the discovery document names issuer {metadata.get('issuer')!r}")
    token = client.authorize_access_token()
    claims = dict(token.get("userinfo") or {})
    if not claims.get("sub"):
        raise ValueError("no ID token in the token response")
    if (config.organisation_claim not in claims or config.roles_claim not in claims) \
            and metadata.get("userinfo_endpoint"):
        info = client.userinfo(token=token)
        if info.get("sub") != claims["sub"]:
            raise ValueError("the userinfo endpoint answered for another subject")
        claims = {**info, **claims}
    return claims


def _refuse(message: str, status: int):
    flash(message, "error")
    return render_template("login.html", next=""), status
