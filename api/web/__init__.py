"""The web application: Swedish pages for caseworkers, process owners and administrators,
rendered on the server (Jinja) with three small scripts for the diagram views and charts.

Pages sign in with a session cookie (username + password) and every POST carries a CSRF
token; the REST API under /api keeps its Bearer tokens. Pages reuse the API's access rules
(`api.access`) so a page never shows what the API would refuse. Browser libraries (bpmn-js,
Chart.js) come from the npm registry into node_modules at set-up and are served from there:
nothing is fetched from the internet at run time."""
from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, abort, g, render_template, request, send_from_directory
from flask_wtf.csrf import CSRFProtect

from engine import utc_naive

from . import (
    pages_admin,
    pages_cases,
    pages_followup,
    pages_forms,
    pages_modeller,
    pages_start,
    pages_tasks,
    session,
)
from .labels import LABELS, status_label
from .labels import register as register_labels
from .messages import swedish

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
# The only folders of node_modules that are served, by the name pages use.
VENDOR = {"bpmn-js": "bpmn-js/dist", "chart.js": "chart.js/dist"}
# Every HTML page's Content-Security-Policy: script only from this site's files (no inline script,
# no inline handlers; data for scripts travels in data-* attributes and <script type="application/json">
# blocks, which are never run), nothing fetched from elsewhere, no plugins, no framing, forms post
# here only (signing in with an OpenID provider is a link, not a form, so it may leave the site).
# Styles too come only from files: bpmn-js, Chart.js and Swagger UI set styles through the DOM
# (element.style), which the policy does not restrict, so no 'unsafe-inline' (checked in Chromium:
# tests/browser/test_browser__content_security_policy.py).
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'", "script-src 'self'", "style-src 'self'",
    "img-src 'self' data:",  # Swagger UI's icons and bpmn-js' breadcrumb arrows are data: URIs
    "font-src 'self' data:",  # bpmn-js' palette font comes as a data: URI in bpmn-embedded.css
    "connect-src 'self'", "object-src 'none'", "base-uri 'self'", "frame-ancestors 'none'",
    "form-action 'self'"))
csrf = CSRFProtect()


def register(app: Flask) -> None:
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key()
    app.config.update(
        # Secure cookies when served over HTTPS (KEDJA_SECURE_COOKIES=1); `make run` is plain http on loopback.
        SESSION_COOKIE_SECURE=os.environ.get("KEDJA_SECURE_COOKIES") == "1",
        WTF_CSRF_CHECK_DEFAULT=False,  # checked for pages only (below); the API uses Bearer tokens
        WTF_CSRF_TIME_LIMIT=None,  # valid as long as the session
        SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=10),  # a working day
    )
    node_modules = Path(app.config.get("KEDJA_NODE_MODULES") or os.environ.get("KEDJA_NODE_MODULES")
                        or REPO_ROOT / "node_modules")
    csrf.init_app(app)
    for module in (session, pages_tasks, pages_start, pages_cases, pages_modeller, pages_forms, pages_admin,
                   pages_followup):
        app.register_blueprint(module.bp)

    @app.before_request
    def _page_session():
        if request.path.startswith("/api/"):
            return
        session.load_account()
        if request.method == "POST" and request.routing_exception is None:  # 404/405 answer first
            csrf.protect()

    @app.get("/vendor/<package>/<path:filename>")
    def _vendor(package, filename):
        if package not in VENDOR:
            abort(404)
        response = send_from_directory(node_modules / VENDOR[package], filename)
        response.cache_control.max_age = 3600
        return response

    zone = ZoneInfo(app.extensions["kedja"].config.timezone)
    @app.after_request
    def _safety_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        elif response.mimetype in ("application/xml", "text/xml", "image/svg+xml"):
            # Diagrams are user content: opened directly, their XML must not run script (XHTML in
            # extension elements would otherwise run as a page of this site).
            response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
        return response

    app.jinja_env.filters.update(when=lambda value: _when(value, zone), since=_since, status=status_label)
    app.jinja_env.globals.update(LABELS=LABELS)
    register_labels(app)

    @app.context_processor
    def _who():
        return {"who": g.get("account"), "now": utc_naive(app.extensions["kedja"].now())}


def _secret_key() -> str:
    """KEDJA_SECRET_KEY, else a key kept in var/secret-key (so restarts keep sessions and
    several processes on one machine agree), made on first use."""
    if key := os.environ.get("KEDJA_SECRET_KEY"):
        return key
    path = Path(os.environ.get("KEDJA_SECRET_KEY_FILE", "var/secret-key"))
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(key)
        return key


def _when(value: datetime | None, zone: ZoneInfo) -> str:
    """A stored time (naive UTC) in the city's local time."""
    return value.replace(tzinfo=timezone.utc).astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""


def _since(value: datetime | None, now: datetime) -> str:
    """'3 d', '5 tim', '12 min' from `value` to `now` (both naive UTC, as stored)."""
    if value is None:
        return ""
    seconds = max(0, int((now - value).total_seconds()))
    if seconds >= 86400:
        return f"{seconds // 86400} d"
    if seconds >= 3600:
        return f"{seconds // 3600} tim"
    return f"{seconds // 60} min"


def wants_page() -> bool:
    """Whether an error should be answered with an HTML page (not problem+json)."""
    return not request.path.startswith("/api/") and not request.is_json


ERROR_TEXTS = {400: "Felaktig begäran.", 401: "Du behöver logga in.", 403: "Du har inte behörighet till sidan.",
               404: "Sidan eller ärendet finns inte, eller så har du inte behörighet att se det.",
               405: "Metoden stöds inte.", 409: "Ärendet har ändrats eller är i fel läge.",
               413: "För stor begäran.", 422: "Uppgifterna kunde inte tas emot.", 500: "Ett oväntat fel inträffade."}


def error_page(status: int, detail: Exception | str | None = None):
    """A Swedish error page; `detail` (an engine error or its text) is said in Swedish, or not at all."""
    text = ERROR_TEXTS.get(status, "Fel.")
    said = swedish(detail)
    return render_template("error.html", status=status, text=text,
                           detail=said if said and said != text else None), status
