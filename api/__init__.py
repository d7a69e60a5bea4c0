"""The Flask service: `create_app(config)` builds one Engine, the REST API around it and the web
application (`api.web`).

Routes parse input (marshmallow), call `engine.execute(command)` or a read query and dump
the result; they never commit and never touch SpiffWorkflow."""
from __future__ import annotations

import os
from http import HTTPStatus

from flask import Flask, make_response, request, send_from_directory
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from sqlalchemy.exc import DataError
from swagger_ui_bundle import swagger_ui_path
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from engine import Engine, EngineConfig, EngineError

from . import problems, schemas, web
from .auth import Unauthenticated, authenticate
from .oidc import init as init_oidc
from .routes_forms import blp as forms_blp
from .routes_instances import blp as instances_blp
from .routes_messages import blp as messages_blp
from .routes_processes import blp as processes_blp
from .routes_tasks import blp as tasks_blp
from .throttle import init as init_throttle

OPEN_PATHS = ("/api/v1/health", "/api/openapi.json", "/api/docs")


class KedjaApi(Api):
    # Errors are problem details: documented with this schema (`problems.documented` refers to
    # the responses registered below, `default` and the 422 of arguments to them too).
    ERROR_SCHEMA = schemas.Problem

    def handle_http_exception(self, error: HTTPException):
        return _http_error(error)

    def _register_responses(self):
        """flask-smorest registers (lazily: only those referred to appear) a response per status
        by its name (NOT_FOUND ...) and DEFAULT_ERROR, with ERROR_SCHEMA in the content type of
        successful answers; here as application/problem+json."""
        statuses = [status for status in HTTPStatus if status >= 400]
        for name, description in [*((s.name, s.phrase) for s in statuses), (self.DEFAULT_ERROR_RESPONSE_NAME,
                                                                           "An error (any other status)")]:
            response = {"description": description, "schema": self.ERROR_SCHEMA}
            if header := {"UNAUTHORIZED": "WWW-Authenticate", "TOO_MANY_REQUESTS": "Retry-After"}.get(name):
                response["headers"] = {header: {"schema": {"type": "string"}, "required": True}}
            prepare_response(response, self.spec, problems.MEDIA_TYPE)
            self.spec.components.response(name, response, lazy=True)


def _http_error(error: HTTPException):
    if web.wants_page():
        response = make_response(web.error_page(error.code or 500,
                                                None if error.code == 404 else error.description))
    else:
        response = problems.from_http(error)
    # The headers werkzeug's error carries besides its body: Allow on 405 (RFC 9110 requires it),
    # Retry-After on 429/503, WWW-Authenticate on 401.
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _engine_error(error: EngineError):
    response = problems.from_engine(error)
    if web.wants_page():
        return web.error_page(response.status_code, None if response.status_code == 404 else error)
    return response


def _unexpected(error: Exception):
    response = problems.unexpected(error)
    return web.error_page(500) if web.wants_page() else response


def create_app(config: dict | None = None) -> Flask:
    """`config` may hold KEDJA_ENGINE (a built Engine, for tests) or KEDJA_ENGINE_CONFIG."""
    config = dict(config or {})
    engine = config.pop("KEDJA_ENGINE", None) or Engine(config.pop("KEDJA_ENGINE_CONFIG", None)
                                                        or EngineConfig.from_env())
    app = Flask("kedja", template_folder=str(web.TEMPLATES), static_folder=str(web.STATIC), static_url_path="/static")
    app.config.update(
        API_TITLE="Kedja", API_VERSION="v1", OPENAPI_VERSION="3.0.3", OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        # The docs page, with Swagger UI's files from the swagger-ui-bundle package (no CDN).
        OPENAPI_SWAGGER_UI_PATH="docs", OPENAPI_SWAGGER_UI_URL="/api/docs/static/",
        # Its page (api/web/templates/swagger_ui.html) runs no inline script; no validator badge
        # (an image from validator.swagger.io).
        OPENAPI_SWAGGER_UI_CONFIG={"validatorUrl": None},
        API_SPEC_OPTIONS={"components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}]},
        # A deployment is the largest body: the diagram limit plus room for the JSON around it.
        MAX_CONTENT_LENGTH=engine.config.max_bpmn_bytes + 64 * 1024,
    )
    app.config.update(config)
    app.config.setdefault("KEDJA_DEMO", engine.config.demo)  # an engine in demo mode serves in demo mode
    if proxies := int(os.environ.get("KEDJA_TRUSTED_PROXIES") or 0):
        # Behind that many reverse proxies: the client's address and scheme from their headers.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    app.json.ensure_ascii = False  # Swedish names as they are
    app.json.sort_keys = False  # a form's fields in the order its owner wrote them
    app.extensions["kedja"] = engine
    init_throttle(app)  # first: a throttled request stops before authentication
    api = KedjaApi(app)
    for blueprint in (processes_blp, forms_blp, instances_blp, tasks_blp, messages_blp):
        api.register_blueprint(blueprint)

    @app.get("/api/docs/static/<path:filename>")
    def _swagger_ui_files(filename):
        return send_from_directory(swagger_ui_path, filename)

    @app.before_request
    def _authenticate():
        if request.path.startswith("/api/") and not request.path.startswith(OPEN_PATHS):
            authenticate()

    @app.before_request
    def _refuse_nul():
        # PostgreSQL cannot store NUL in text; refuse it up front, the same on every database.
        texts = [request.path, *request.args.keys(), *request.args.values()]
        body = request.get_data()
        if any("\x00" in text for text in texts) or b"\x00" in body or b"\\u0000" in body:
            return problems.problem(400, "NUL characters are not allowed in the request")

    app.register_error_handler(Unauthenticated, lambda err: problems.problem(401, str(err)))
    app.register_error_handler(EngineError, _engine_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DataError, lambda err: problems.problem(
        422, "a value does not fit what the database can store"))
    app.register_error_handler(Exception, _unexpected)
    web.register(app)
    init_oidc(app)  # single sign-on, when KEDJA_OIDC_ISSUER is set
    return app
