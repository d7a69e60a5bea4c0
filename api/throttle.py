"""Failed sign-ins are throttled (Flask-Limiter): only failures count (`deduct_when`), and once
an account or an address has used up its failures within the window, the next attempt is
refused with 429 before any password or token is looked at, even a right one.

- Login page: KEDJA_LOGIN_LIMIT failed passwords per submitted username and, separately, per
  client address (default "10 per minute" each).
- API: KEDJA_API_AUTH_LIMIT failed Bearer authentications (401) per client address.
- KEDJA_RATELIMIT_STORAGE: where the counts live, any Flask-Limiter storage URI (default
  "memory://", per process; "redis://host:6379" shares them between nodes and workers).

Each is read from the app's config (create_app) and else from the environment. The window
moves: an attempt is refused while the limit's number of failures lie within the last period."""
from __future__ import annotations

import logging
import math
import os
import time

from flask import Flask, current_app, flash, g, render_template, request
from flask_limiter import ApplicationLimit, Limiter, RequestLimit
from flask_limiter.errors import RateLimitExceeded

from . import problems

log = logging.getLogger("kedja.auth")
DEFAULTS = {"KEDJA_LOGIN_LIMIT": "10 per minute", "KEDJA_API_AUTH_LIMIT": "10 per minute",
            "KEDJA_RATELIMIT_STORAGE": "memory://"}
TOO_MANY_SIGN_INS = "För många misslyckade inloggningar. Försök igen om en stund."
# Paths of the API that need no token, and stay open while an address is throttled (health checks).
OPEN_API_PATHS = ("/api/v1/health", "/api/openapi.json", "/api/docs")


def setting(app: Flask, name: str) -> str:
    return app.config.get(name) or os.environ.get(name) or DEFAULTS[name]


def address() -> str:
    """The client's address as the server sees it (behind a reverse proxy, configure the
    proxy's forwarded headers with werkzeug's ProxyFix first, or every client is the proxy)."""
    return request.remote_addr or "unknown"


def _submitted_username() -> str:
    return "account:" + request.form.get("username", "").strip()


def _is_login_post() -> bool:
    return request.endpoint == "session.login" and request.method == "POST"


def _is_api_call() -> bool:
    return request.path.startswith("/api/") and not request.path.startswith(OPEN_API_PATHS)


def _retry_after(limit: RequestLimit) -> str:
    """Seconds until the oldest counted failure leaves the window (at least 1)."""
    return str(max(1, math.ceil(limit.reset_at - time.time())))


def _login_refused(limit: RequestLimit):
    """The login page again, 429, without checking the password."""
    if (response := g.get("_throttled")) is not None:  # both limits may be breached at once
        return response
    username = request.form.get("username", "").strip()
    log.warning("sign-in throttled: username %r from %s (%s)", username, address(), limit.limit)
    flash(TOO_MANY_SIGN_INS, "error")
    response = current_app.make_response((render_template(
        "login.html", next=request.form.get("next", ""), username=username), 429))
    response.headers["Retry-After"] = _retry_after(limit)
    g._throttled = response
    return response


def _api_refused(limit: RequestLimit):
    log.warning("API authentication throttled: %s from %s (%s)", request.path, address(), limit.limit)
    response = problems.problem(429, "too many failed authentications from this address; try again later")
    response.headers["Retry-After"] = _retry_after(limit)
    return response


def _refused(error: RateLimitExceeded):
    # The response built by the breached limit's on_breach (a page or a problem), as it is.
    return error.get_response()


def init(app: Flask) -> Limiter:
    """Before the app's own before_request hooks: a throttled request stops before authentication."""
    login_limit, api_limit = setting(app, "KEDJA_LOGIN_LIMIT"), setting(app, "KEDJA_API_AUTH_LIMIT")
    limits = [
        ApplicationLimit(limit_provider=login_limit, key_function=_submitted_username, scope="login-account",
                         exempt_when=lambda: not _is_login_post(), deduct_when=lambda r: r.status_code == 401,
                         on_breach=_login_refused),
        ApplicationLimit(limit_provider=login_limit, key_function=lambda: "address:" + address(),
                         scope="login-address", exempt_when=lambda: not _is_login_post(),
                         deduct_when=lambda r: r.status_code == 401, on_breach=_login_refused),
        ApplicationLimit(limit_provider=api_limit, key_function=lambda: "address:" + address(),
                         scope="api-authentication", exempt_when=lambda: not _is_api_call(),
                         deduct_when=lambda r: r.status_code == 401, on_breach=_api_refused),
    ]
    limiter = Limiter(
        address, app=app, application_limits=limits, strategy="moving-window",
        storage_uri=setting(app, "KEDJA_RATELIMIT_STORAGE"),
        # Counted per process while a shared storage (redis) is unreachable, rather than failing sign-ins.
        in_memory_fallback_enabled=True,
        # Every request is identified, also an /api/ path no route matches (its 401 counts too).
        request_identifier=lambda: request.endpoint or "unmatched",
        headers_enabled=False, key_prefix="kedja")
    app.extensions["kedja.limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, _refused)
    return limiter
