"""Errors as RFC 9457 problem details (`application/problem+json`), everywhere."""
from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Response, json
from werkzeug.exceptions import HTTPException

from engine import (
    ConcurrentUpdate,
    DeploymentRejected,
    EngineError,
    Forbidden,
    InvalidInput,
    InvalidState,
    NotFound,
    StepFailed,
)

log = logging.getLogger("kedja.api")
MEDIA_TYPE = "application/problem+json"
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
          409: "Conflict", 413: "Payload too large", 415: "Unsupported media type", 422: "Unprocessable content",
          429: "Too many requests", 500: "Internal server error"}


def problem(status: int, detail: str, **extra) -> Response:
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail, **extra}
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="kedja"'
    return response


def _webargs_errors(messages: dict) -> list[dict]:
    """webargs' {"json": {"field": ["msg"]}} -> [{"field": "field", "message": "msg"}]."""
    errors = []

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        else:
            for message in value if isinstance(value, list) else [value]:
                errors.append({"field": prefix, "message": str(message)})

    for location_errors in messages.values():
        walk("", location_errors)
    return errors


def from_http(err: HTTPException) -> Response:
    data = getattr(err, "data", None) or {}
    if err.code == 422 and "messages" in data:
        return problem(422, "the request does not fit the schema", errors=_webargs_errors(data["messages"]))
    return problem(err.code or 500, err.description or TITLES.get(err.code or 500, "Error"))


def from_engine(err: EngineError) -> Response:
    if isinstance(err, NotFound):
        return problem(404, str(err))
    if isinstance(err, Forbidden):
        return problem(403, str(err))
    if isinstance(err, (ConcurrentUpdate, InvalidState)):
        return problem(409, str(err))
    if isinstance(err, InvalidInput):
        return problem(422, str(err), errors=[{"field": e.field, "message": e.message} for e in err.fields])
    if isinstance(err, DeploymentRejected):
        return problem(422, "the diagram cannot be deployed", errors=[
            {"element_id": p.element_id, "line": p.line, "file": p.file, "message": p.message}
            for p in err.problems])
    if isinstance(err, StepFailed):
        return problem(409, str(err), instance_id=err.instance_id, element_id=err.element_id)
    return problem(400, str(err))


def unexpected(err: Exception) -> Response:
    log.exception("unexpected error")
    return problem(500, "an unexpected error; it has been logged")


def documented(blp, *statuses: int):
    """Document an operation's problem responses: for each status flask-smorest's `alt_response`
    with the response the Api registers under the status' name (problem+json, `api.KedjaApi`).
    400 (a malformed request, NUL characters) applies to every operation and is always added, 429
    to every one that authenticates (401: failed authentications are throttled, `api.throttle`);
    flask-smorest adds 422 for operations that take arguments, and `default` to every one."""
    statuses = {400, *statuses, *((429,) if 401 in statuses else ())}

    def decorate(view):
        for status in sorted(statuses):
            view = blp.alt_response(status, response=HTTPStatus(status).name)(view)
        return view
    return decorate
